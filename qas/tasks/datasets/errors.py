"""The data layer's errors, all caused by what is, or is not, on disk (all are
:class:`~qas.core.errors.QasError`)."""

from __future__ import annotations

from qas.core.errors import QasError


class DatasetError(QasError):
    """Base class of the data-layer errors (all caused by what is, or is not, on disk)."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No complete copy of a dataset in any place we look, and the download failed."""


class DatasetCorruptError(DatasetError, ValueError):
    """A data file whose checksum matches none of the known ones."""


class IdxFormatError(DatasetError, ValueError):
    """A file that is not a well-formed IDX file of the expected shape."""
