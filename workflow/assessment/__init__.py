"""Annual assessment (Art. 11–15): the scoring standard, score sheets, results and exits.

`evaluate` scores one agency; `set_questionnaire_points` is how the survey
aggregation (or an admin) fills the questionnaire section 3.1–3.5. Finalising
(`finalising.finalise`) and the exit rules (`exits`) go through
`workflow.lifecycle`, which imports `gate` from here: this module therefore
imports nothing of the lifecycle.
"""

from workflow.assessment.evaluation import Evaluation, ScoreError, evaluate
from workflow.assessment.sheets import set_questionnaire_points

__all__ = ["Evaluation", "ScoreError", "evaluate", "set_questionnaire_points"]
