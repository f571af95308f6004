"""warmreg-sycophancy: answer and feedback sycophancy (Sharma et al. 2023).

================  ========  =====================================================
entry point       group     class
================  ========  =====================================================
answer-opinion    contexts  :class:`warmreg_sycophancy.answer_opinion.AnswerOpinion`
feedback-opinion  contexts  :class:`warmreg_sycophancy.feedback_opinion.FeedbackOpinion`
feedback          tasks     :class:`warmreg_sycophancy.feedback.Feedback`
flaw-mention      judges    :class:`warmreg_sycophancy.flaw_mention.FlawMention`
================  ========  =====================================================
"""
