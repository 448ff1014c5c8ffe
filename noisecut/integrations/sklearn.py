"""scikit-learn: ``NoiseCutTransformer``, raw texts in, cleaned texts out."""
from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..cleaner import Cleaner
from ..errors import NoiseCutError
from ..policy import THRESHOLD_DEFAULT, is_flag
from .batch import check_threshold, is_missing, parse_keep


class NoiseCutTransformer(TransformerMixin, BaseEstimator):
    """Remove boilerplate lines from each document before vectorising it.

    Parameters
    ----------
    model : str, Path, Model or None, default=None
        Model directory, a loaded ``noisecut.model.Model``, or None for the
        shipped text model (or ``$NOISECUT_MODEL``). A model that reads HTML
        markup (``"html"``) is refused: the documents are plain text.
    keep : iterable of Label or label names, or None, default=None
        The labels whose lines are kept (the whole set, as in ``Cleaner``);
        None keeps body and headings.
    threshold : float or {"precision", "recall"}, default=0.5
        Keep a line when the probability of the kept labels reaches this: a
        number from 0 to 1, or a preset the model records (its model card).
    dedupe : bool, default=True
        Drop later exact repeats of kept lines (True or False; anything else
        is refused in ``fit``).

    Attributes
    ----------
    cleaner_ : Cleaner
        The loaded cleaner. It is pickled with the estimator, so a saved
        pipeline cleans without the model directory.

    Notes
    -----
    ``fit`` learns nothing: it validates the parameters and loads the model
    into ``cleaner_``. It is where fine-tuning the line classifier on ``X``
    (and line labels) would go; today ``y`` is ignored.

    ``transform`` takes an iterable of ``str`` (a list, a 1-D array, a pandas
    Series) and returns a list of ``str``, one per document, which is what
    ``CountVectorizer`` and ``TfidfVectorizer`` read. A lone string, a missing
    value or a non-string document raises ``ValueError``, as the vectorisers do.

    It takes no site memory (``noisecut sites``): a document here is a bare
    string, with no URL to find its site by. Clean a DataFrame with
    ``CleanBatch(site_memory=..., url_column=...)`` before the pipeline instead.

    scikit-learn's ``check_estimator`` feeds numeric arrays, so the checks
    that fit or transform numbers do not apply (the tags say so:
    ``input_tags.string=True``, ``input_tags.two_d_array=False``, under which
    ``check_estimator`` itself skips everything). The tests call the checks that
    inspect the estimator's API without data: ``check_estimator_cloneable``,
    ``check_estimator_repr``, ``check_no_attributes_set_in_init``,
    ``check_parameters_default_constructible``, ``check_get_params_invariance``,
    ``check_set_params``, ``check_do_not_raise_errors_in_init_or_set_params``,
    ``check_mixin_order``, ``check_valid_tag_types``,
    ``check_estimator_tags_renamed``, plus ``check_transformers_unfitted`` (an
    unfitted transform raises ``NotFittedError`` before it reads ``X``). The
    data checks (fit returns self, idempotent fit, parameters not mutated,
    pickling, subset and order invariance, fitted clone is unfitted) are
    rewritten with text input in ``tests/test_integrations.py``.

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> pipe = Pipeline([("clean", NoiseCutTransformer(model="models/mine")),
    ...                  ("tfidf", TfidfVectorizer())])        # doctest: +SKIP
    >>> X = pipe.fit_transform(texts)                          # doctest: +SKIP
    """

    def __init__(self, model=None, keep=None, threshold=THRESHOLD_DEFAULT, dedupe=True):
        self.model = model
        self.keep = keep
        self.threshold = threshold
        self.dedupe = dedupe

    def fit(self, X, y=None):
        """Validate the parameters and ``X``, load the model; learn nothing else."""
        _check_texts(X)
        try:
            keep, threshold = parse_keep(self.keep), check_threshold(self.threshold)
        except NoiseCutError as error:
            raise ValueError(str(error)) from None
        if not is_flag(self.dedupe):
            raise ValueError(f"dedupe takes True or False, not {self.dedupe!r}")
        cleaner = Cleaner(self.model, keep=keep, threshold=threshold, dedupe=bool(self.dedupe))
        if cleaner.model.reads_markup:  # it would fail on every document in transform
            raise ValueError(f"the model {cleaner.model.meta.get('name', self.model)!r} reads HTML markup and "
                             "NoiseCutTransformer cleans plain text; use a text model (model=None or 'default')")
        self.cleaner_ = cleaner
        return self

    def transform(self, X) -> list[str]:
        """The cleaned text of each document in ``X``."""
        check_is_fitted(self)
        return list(self.cleaner_.clean_many(_check_texts(X)))

    def fit_transform(self, X, y=None, **fit_params) -> list[str]:
        """``fit`` then ``transform``, reading ``X`` once (it may be a generator)."""
        texts = _check_texts(X)
        return self.fit(texts, y, **fit_params).transform(texts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _check_texts(X) -> list[str]:
    if isinstance(X, (str, bytes)):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if getattr(X, "ndim", 1) != 1:  # a DataFrame or 2-D array: list() would give columns or rows
        raise ValueError(f"Expected a 1-D iterable of texts, got {type(X).__name__} of shape {getattr(X, 'shape', '?')}.")
    try:
        texts = list(X)
    except TypeError:
        raise ValueError(f"Expected an iterable of texts, got {type(X).__name__}.") from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            kind = "a missing value" if is_missing(text) else type(text).__name__
            raise ValueError(f"Document {i} is {kind}; expected str.")
    return texts
