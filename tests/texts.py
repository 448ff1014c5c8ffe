"""News paragraphs shared by the tests: a short local story, written for them."""

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
