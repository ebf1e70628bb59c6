"""The checks, a module per family of the API; each check decides one requirement (see `checks.rule`).

`rule` is what a check is (`Violation`, `Context`, `@check`), `evidence` what the families share (reading an
answer, evidence lines, rules several families state alike). A family's module may use another family's
subjects (`generated` judges streams with `chat_stream`'s and `responses_stream`'s rules), never the reverse.
`conformance.judgement` imports them all and runs them.
"""
