"""News shared by the tests, written for them: a short local story, and the pages of a made-up site."""

P1 = (
    "The city council voted on Tuesday to approve a new budget for the public library, which will extend "
    "opening hours on weekends and fund a programme of reading classes for children."
)
P2 = (
    "Council members said the money would come from savings in the transport department, and that the "
    "library had been asking for longer hours for more than three years."
)
P3 = (
    "The head librarian, Maria Lopez, said the staff were delighted and that the new hours would start in "
    "the first week of March, after the building's heating is repaired."
)


# The pages of one site, coast.example: a story each, between the site's menu and footer, with one more line of
# the site's own boilerplate between its paragraphs (``page``), which the site memory should drop.
SPONSOR = "Sponsored by Coast Energy"  # the shipped default model keeps it alone
FUND_NOTE = ("This story was reported with support from the Coast Energy community fund, which has no say over "
             "what we publish.")  # a sentence: the tests' small model (conftest) keeps it alone too
TOWNS = ["Ashby", "Wrenham", "Norcott", "Kelvale", "Eastfield", "Millbrook", "Harbourside", "Orton", "Pellow", "Ruan"]
PLACES = ["library", "swimming pool", "bus depot", "market hall", "park", "museum", "school", "harbour", "bridge", "theatre"]


def story(n: int) -> list[str]:
    """Story ``n``: a title and two paragraphs."""
    town, place = TOWNS[n % 10], PLACES[(3 * n) % 10]
    return [f"{town} votes to rebuild its {place}",
            f"Residents of {town} backed the plan to rebuild the {place} at a meeting this week, and work is due to "
            f"start in the spring once the contracts for the {place} are signed.",
            f"The council said the {place} would stay open while {town}'s builders are on site, with some rooms "
            f"closed for a few weeks at a time."]


def page(n: int, boilerplate: str = SPONSOR) -> str:
    """Page ``n`` of coast.example, ``boilerplate`` between the paragraphs of its story."""
    title, first, second = story(n)
    return "\n".join(["Home | News | Sport", title, first, boilerplate, second, "Share this story", "© 2025 Coast Daily"]) + "\n"
