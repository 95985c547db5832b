"""A lab's study on plain files: the study folder, coding progress, consensus, exports, report.

Above :mod:`..metrics`, :mod:`..reliability` and :mod:`..session`, below ``gui`` and ``cli``;
no Qt. The modules follow the concepts:

- :mod:`.folder`: ``study.toml`` and the session folders (:func:`load_study`), done marks;
- :mod:`.create`: ``study init`` from session folders or a folder of camera files;
- :mod:`.status`: coding progress per session × coder (:func:`study_status`);
- :mod:`.export`: one table of every session's events, the metrics per session × phase;
- :mod:`.effects`: Still-Face statistics (rm-ANOVA, paired contrasts; pingouin);
- :mod:`.report`: the HTML report;
- :mod:`.consensus`: two coders' disagreements and the consensus made from decisions;
- :mod:`.deciding`: the same decisions one at a time, as edits of the open consensus (the app).
"""

from __future__ import annotations

from .consensus import CONSENSUS, Consensus, ConsensusError, apply_decisions, disagreements
from .folder import STUDY_FILE, Study, StudyError, StudySession, load_study, mark_done
from .status import STATUS_COLUMNS, study_status

__all__ = [
    "CONSENSUS",
    "STATUS_COLUMNS",
    "STUDY_FILE",
    "Consensus",
    "ConsensusError",
    "Study",
    "StudyError",
    "StudySession",
    "apply_decisions",
    "disagreements",
    "load_study",
    "mark_done",
    "study_status",
]
