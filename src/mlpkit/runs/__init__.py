"""Running a recipe into a run folder, and resuming one.

A run folder holds ``config.toml`` (the resolved recipe), ``checkpoint.npz``
(rewritten atomically every ``train.checkpoint_every`` epochs), and at the
end ``model.npz``, ``history.csv``, ``metrics.json``, the plots and
``report.html``. A run stopped by a request (Ctrl-C) still writes all of
these for the epochs done; a killed run keeps its last checkpoint, and
:func:`resume` finishes it with the same final weights an uninterrupted run
would have.

The package's modules: ``execute`` (run, resume, the training and the files
it writes), ``parts`` (the network, loss, optimiser and callbacks a recipe
asks for), ``folder`` (a run folder made new, locked, its data digest),
``checkpoint`` and ``report``.
"""

from mlpkit.runs.execute import RunResult, StopRequest, history_csv, resume, run
from mlpkit.runs.folder import data_digest, new_run_dir, write_text
from mlpkit.runs.parts import Parts

__all__ = [
    "Parts",
    "RunResult",
    "StopRequest",
    "data_digest",
    "history_csv",
    "new_run_dir",
    "resume",
    "run",
    "write_text",
]
