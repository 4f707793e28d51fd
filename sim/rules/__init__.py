"""The model's rules: pure functions of arrays, one rule family per module.

:mod:`sim.rules.messages`
    messages as a struct of arrays, their kinds, assembly of one outbox per step.
:mod:`sim.rules.routing`
    direct and chain routing, relays, distortion, attention caps.
:mod:`sim.rules.learning`
    March's (1991) rules: actions, socialization, the code learning from a superior group.
:mod:`sim.rules.influence`
    peer influence from what colleagues said.
:mod:`sim.rules.feedback`
    engagement and trust from what agents experience.
:mod:`sim.rules.budget`
    time budgets: what each agent can still afford to do in a step.
:mod:`sim.rules.stakeholders`
    stakeholder satisfaction, value and switching.
:mod:`sim.rules.metrics`
    every metric, under the names other tools read.
:mod:`sim.rules.opinion`
    continuous opinions (DeGroot, Friedkin-Johnsen).
:mod:`sim.rules.modes`
    the modes as components: the task (additive, NK), the peer rule (majority, imitation),
    the opinion mode.
:mod:`sim.rules.state`
    the model's state as one typed object, and the step's tally: what metrics and pictures read.

Rules import configuration and utilities only; the model (:mod:`sim.model`) calls them in order.
"""
