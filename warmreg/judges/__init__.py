"""Judges: mark a generation against its item's answer key.

Built-in plugins (entry points in ``warmreg.judges``):

============  ====================================================  ==================
name          decides                                               module
============  ====================================================  ==================
answer-match  short answers: normalised alias matching               :mod:`.answer_match`
choice        multiple choice: the chosen letter (A-J)               :mod:`.choice`
numeric       GSM8K: the final number, compared with tolerance       :mod:`.numeric`
refusal       refusal behaviour (AdvBench): rules                    :mod:`.refusal`
llm           anything: rubric-driven judge model on any backend     :mod:`.llm`
============  ====================================================  ==================

Every verdict is CORRECT, INCORRECT, REFUSED or UNPARSEABLE, never one folded into
another (and ENDPOINT_ERROR when the ``llm`` judge's endpoint fails: not cached). On items where refusing is correct (``Item.refusal_is_correct``) a refusal is
CORRECT. Each judge's ``fingerprint()`` hashes its name, config and rules version, so a
change to any of them re-grades.

:func:`is_refusal` is the refusal rule the runner applies for the study's policy
(refusals are excluded, except where refusing is correct).
"""

from __future__ import annotations

from warmreg.judges.refusal import is_refusal

__all__ = ["is_refusal"]
