"""What the app says to a class: the Info tab and the guided experiments.

The Info tab follows the layout teachers know from NetLogo's Models Library (what is it, how it
works, how to use it, things to notice, things to try, extending the model, credits and
references). Each guided experiment sets up organizations A and B, asks the class to predict
which one will end higher on one measure, runs both on the same seed and then tells what
happened, computed from the runs (:func:`outcome`): no result is written in advance.

Examples
--------
>>> [e.key for e in EXPERIMENTS]
['ends', 'answers', 'channel', 'conform']
>>> import pandas as pd
>>> a = pd.DataFrame({"step": range(9), "engagement": [0.5] * 9})
>>> b = pd.DataFrame({"step": range(9), "engagement": [0.5] * 6 + [0.8] * 3})
>>> verdict = outcome(EXPERIMENTS[0], [a, b])
>>> verdict.winner, round(verdict.values[1], 2), verdict.window
('B', 0.8, (6, 8))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from sim.viz.drawing import pretty_metric

__all__ = ["EXPERIMENTS", "INFO", "Experiment", "Outcome", "PREDICTIONS", "outcome"]

#: The Info tab, section by section (title, Markdown).
INFO: tuple[tuple[str, str], ...] = (
    (
        "What is it?",
        """
Agora is a laboratory for one question: what happens to an organization, its people and its
stakeholders when it communicates by **broadcasting** its strategy top-down ("having" members
and customers) rather than by **conversation** ("being" in relationship with them)?

An organization keeps a *code*, what it believes about a world of 30 things that matter (March
1991). Its members and stakeholders hold beliefs about the same things. Everyone talks through
a network of ties: the chain of command, colleagues in one's unit, colleagues across units,
stakeholders. How the organization communicates is a set of **practices**, each a control of
the app; the two regimes are the two ends of that space, and any mix between them can be set.
""",
    ),
    (
        "How it works",
        """
Each step (think of it as about a week) runs the same loop:

1. **Speaking.** The organization broadcasts its code (in a share of steps: *Broadcasts*).
   Members post to colleagues and reply to posts (*Members reply*), and send ideas up
   (*Members speak up*): hop by hop through their managers, who may drop or distort them
   (*Ideas go up by: chain*), or straight to the top through a voice channel that a share of
   members can use (*voice*, *Voice channel open to*).
2. **Reading.** Nobody reads more than a few messages a step (*Messages read per step*); the
   organization reads a limited number of ideas, those with most votes first when colleagues
   vote (*Colleagues vote on ideas*).
3. **Learning.** Members move towards the code they hear, faster when they trust the
   organization (*Pressure to conform*, March's p1) and towards what most colleagues say. The
   code learns from the ideas it considers that beat it (*Strategy learns*, March's p2).
4. **Feeling.** Being answered raises a member's engagement; an idea that goes unanswered
   lowers it (*Ideas answered*). Trust follows what people see of the organization's ability,
   benevolence and integrity (Mayer, Davis & Schoorman 1995). Engaged people speak up more.
5. **Stakeholders** are satisfied when the organization gets right what they need.

The world keeps changing (2% of what matters flips each step) and 1% of the staff leave each
step, replaced by newcomers.
""",
    ),
    (
        "How to use it",
        """
- **Side by side** runs two organizations, A and B, on the same seed. Press **Step** or
  **Play**; both move together. Each has its own panel of practices: **Broadcast end** and
  **Conversational end** load the two regimes; then change any practice alone. A changed
  setting takes effect when you press **Reset** (the button says so), and the same settings
  and seed always give the same run, so a difference between A and B comes from what you
  changed, not from luck. To show luck, change only the **Seed**.
- The pictures: the square in the middle of each organization is its code; rings are levels
  of the hierarchy (the top next to the square, the frontline outside); the outer ring holds
  the stakeholders. Grey lines are ties; coloured lines are the messages of the last step.
  Dots are coloured by what you choose (knowledge, engagement, trust, kind, unit).
- The curves below share their axes: A and B in the colours of their regimes (broadcast
  orange, hybrid pink, conversational blue; the second run dashed when both share one).
- **Download** the measures so far (CSV), the picture (PNG) or the last steps (GIF).
- **Guided experiments** ask the class to predict before they run. **What if** runs a
  scenario many times with and without a change and says what the change does, with its
  uncertainty.
""",
    ),
    (
        "Things to notice",
        """
- Under the broadcast end blue lines fan out from the centre every step and members' views
  converge on the code. Does the code itself get better?
- Watch engagement when ideas go unanswered. In this model people who speak up and are
  ignored end up less engaged than people who never spoke (the frustration effect; how strong
  it is here is an assumption, explained on the project's sources page).
- Compare *Ideas answered* with *Net innovations*: do answered ideas make a better strategy, or
  only happier members?
- With a chain of command, ideas are dropped and distorted on the way up: compare the code's
  knowledge and the net innovations with those under the voice channel.
""",
    ),
    (
        "Things to try",
        """
- Start both from the broadcast end and give B only the voice channel. Then only answers
  (*Ideas answered*). Which practice matters more, and for which measure?
- Lower *Pressure to conform* on one side (March's p1). March (1991) concluded that "slow
  learning on the part of individuals maintains diversity longer, thereby providing the
  exploration". Does the code learn more here, in a changing world?
- Close the ties across units on one side and colour the dots by **unit**.
- Run the same comparison with three different seeds before drawing a conclusion.
""",
    ),
    (
        "Extending the model",
        """
Every setting of the app is a key of Agora's configuration; the command under the pictures
re-runs each side from the command line (`agora run ...`), where every other key can be set
and many replicates run in parallel (`agora run replicates=20 ...`). Scenarios and
interventions are plain YAML files in `conf/`; the what-if report, sweeps, sensitivity analyses
and the comparisons with published models are described in the project's documentation. The
rules are small functions of arrays in `sim/rules/`, one module per mechanism.
""",
    ),
    (
        "Credits and references",
        """
- March, J. G. (1991). Exploration and exploitation in organizational learning. *Organization
  Science* 2(1), 71-87: the code, socialization (p1), learning (p2), turnover and turbulence.
- Mayer, R. C., Davis, J. H. & Schoorman, F. D. (1995). An integrative model of organizational
  trust. *Academy of Management Review* 20(3), 709-734: trust from ability, benevolence and
  integrity.
- Folger (1977) on the voice effect, and the frustration effect of unanswered voice: see the
  project's sources page, which gives what each mechanism and default rests on, and which
  defaults are assumptions.
- The layout of this tab follows NetLogo's Models Library (Wilensky).
""",
    ),
)

#: What a class may predict about A and B.
PREDICTIONS = ("A ends higher", "B ends higher", "About the same")


@dataclass(frozen=True)
class Experiment:
    """A guided experiment: two settings, one measure, a question and what to discuss after."""

    key: str
    title: str
    question: str
    metric: str
    a: dict = field(default_factory=dict)
    b: dict = field(default_factory=dict)
    steps: int = 150
    discuss: str = ""


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "ends",
        "Broadcast or conversation",
        "A broadcasts its strategy every step and answers no ideas; B broadcasts rarely, has a "
        "voice channel, answers most ideas it reads and lets colleagues vote. Which one's "
        "members end **more engaged**?",
        "engagement",
        a={"regime": "broadcast"},
        b={"regime": "conversational"},
        discuss="Look also at trust and at the code's knowledge (the curves below): is the "
        "more engaged organization also the one with the better strategy? Run it "
        "again on another seed before you answer.",
    ),
    Experiment(
        "answers",
        "Voice without answers",
        "Both have the conversational practices, but A answers none of the ideas it reads "
        "(*Ideas answered* 0) while B answers 60%. Which one's members end **more engaged**?",
        "engagement",
        a={"regime": "conversational", "responsiveness": 0.0},
        b={"regime": "conversational", "responsiveness": 0.6},
        discuss="Ideas that end unanswered lower the engagement of whoever sent them. Compare "
        "with the broadcast end, where ideas travel up the chain: is being ignored "
        "worse than never being asked?",
    ),
    Experiment(
        "channel",
        "Up the chain or straight to the top",
        "Both broadcast like the broadcast end, but in B members can send ideas straight to "
        "the top (*Ideas go up by: voice*) instead of through their managers. Which strategy "
        "ends **closer to reality** (knowledge of the code)?",
        "knowledge_code",
        a={"regime": "broadcast"},
        b={"regime": "broadcast", "upward": "voice"},
        discuss="Managers relay ideas with some chance and distort them on the way. Does a "
        "shorter path help if nobody answers?",
    ),
    Experiment(
        "conform",
        "Pressure to conform",
        "Both are halfway between the regimes, but A pushes members hard to adopt the strategy "
        "(*Pressure to conform* 0.9) and B gently (0.1). Which strategy ends **closer to "
        "reality**?",
        "knowledge_code",
        a={"regime": "hybrid", "socialization": 0.9},
        b={"regime": "hybrid", "socialization": 0.1},
        discuss='March (1991): "slow learning on the part of individuals maintains '
        'diversity longer, thereby providing the exploration". Is that what happened '
        "here? Try other seeds.",
    ),
)


@dataclass(frozen=True)
class Outcome:
    """What happened: each side's mean of the measure over the end window, and who won."""

    metric: str
    values: tuple[float, float]
    window: tuple[int, int]
    winner: str  # "A", "B" or "same"

    def matches(self, prediction: str) -> bool:
        """Whether a prediction (one of :data:`PREDICTIONS`) says what happened."""
        wanted = {"A": PREDICTIONS[0], "B": PREDICTIONS[1], "same": PREDICTIONS[2]}
        return wanted[self.winner] == prediction

    def sentence(self) -> str:
        """What happened, in one sentence."""
        name = pretty_metric(self.metric).lower()
        a, b = self.values
        first, last = self.window
        said = {"A": "A ends higher", "B": "B ends higher", "same": "they end about the same"}
        return (
            f"Over steps {first} to {last}, {name} averaged {a:.2f} in A and {b:.2f} in B: "
            f"{said[self.winner]}."
        )


def outcome(
    experiment: Experiment, frames: Sequence[pd.DataFrame], *, same: float = 0.02
) -> Outcome:
    """Each side's mean of the measure over the last third of the run (the project's summary
    window), and which is higher; closer than ``same`` (absolute) counts as about the same."""
    from sim.studies.outcomes import window_of, window_rows

    values = []
    window = (0, 0)
    for frame in frames:
        window = window_of(frame)
        values.append(float(window_rows(frame, window)[experiment.metric].mean()))
    a, b = values
    winner = "same" if abs(a - b) < same else ("A" if a > b else "B")
    return Outcome(experiment.metric, (a, b), window, winner)
