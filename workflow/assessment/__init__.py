"""Annual assessment (Art. 11–15): the scoring standard, score sheets, evaluation,
finalising, exits and results.

`evaluation.evaluate` scores one agency; `sheets.set_questionnaire_points` is how
the survey aggregation (or an admin) fills the questionnaire section 3.1–3.5.
Finalising (`finalising`) and the exit rules (`exits`) fire the lifecycle engine;
the engine and its guards read only the read-only `gate`. This package therefore
re-exports nothing, so importing `gate` never drags in what fires the lifecycle.
"""
