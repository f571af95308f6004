"""warmreg-social: social sycophancy, ELEPHANT-style (Cheng et al. 2025).

=================  ======  ==============================================
entry point        group   class
=================  ======  ==============================================
social-sycophancy  tasks   :class:`warmreg_social.task.SocialSycophancy`
social-validation  judges  :class:`warmreg_social.judge.SocialValidation`
=================  ======  ==============================================
"""
