"""Pipeline reports (stage counts, flow, time in stage, conversion, stuck deals, bottlenecks), scoped by access."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.types import CoachAnswer
from bot.pipeline.chat import answer_pipeline_question


def handle(ask: Ask) -> CoachAnswer:
    return answer_pipeline_question(ask.coach.runtime, ask.viewer, ask.question, now=ask.now)


INTENT = Intent(
    name="pipeline",
    summary="pipeline reports: deals per stage, stage flow, time in stage, conversion, bottlenecks",
    try_it="How many deals per stage?",
    handle=handle,
    examples=(
        "how many deals per stage", "stage counts", "pipeline by stage", "stage flow last month",
        "how did deals move through the stages in october", "average time in each stage", "how long do deals sit in validate",
        "conversion rate by stage", "stage to stage conversion this quarter", "where are deals getting stuck",
        "what are our bottlenecks", "which stage is the bottleneck", "what's stuck in the pipeline",
        "how is the team's pipeline looking", "pipeline overview", "weighted pipeline", "how many deals entered discover this month",
        "how many deals did we lose last quarter by stage", "what's the pipeline value", "funnel this quarter",
        "deals stuck over their expected time", "how many open deals do we have", "pipeline snapshot for the team",
        "cycle time per stage", "where do we lose deals",
        "pipe by stage", "deals per stage pls", "how many deals in propose", "how many deals are in each stage rn",
        "where's the funnel leaking", "stage conversion q4", "avg days in each stage",
        "on average how long do deals stay in propose", "how fast do deals move from connect to discover",
        "propose to commit conversion", "show pipeline flow this month", "how many deals moved to commit this week",
        "pipeline health for the team", "which stage do deals stall in most", "where's the drop off in our funnel",
        "how much is in the pipe", "total pipeline value by stage", "stage velocity",
        "how many deals did we add to prospect last month", "typical time a deal spends in discover",
        "what % of discover deals make it to validate", "show me the funnel", "breakdown of open deals by stage",
        "how many deals sit in validate right now", "count of deals in commit",
        "discover to validate conversion rate", "how many opps in connect", "number of deals in each stage",
        "what share of propose deals reach commit", "how long do deals usually spend in connect",
        "typical days a deal spends in commit",
        "time in stage for propose", "days in stage for validate across the team", "how many are in commit rn",
        "how many deals are sitting in propose", "how many opps are in discover",
        "which stage are deals most stuck in", "where do things stall in the funnel", "where do most deals get stuck",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "deal count in negotiation", "stage movement last week",
        "how many deals moved from discovery to proposal in q3", "what's our win rate by stage",
        "win rate from proposal onward", "how much pipeline did we create this month", "pipeline generated qtd",
        "where are deals dying in our funnel", "avg cycle time from discovery to close",
        "what's our biggest bottleneck right now", "how long do deals spend in negotiation on average",
        "which stage has the worst conversion", "funnel conversion q3 vs q2", "what % of demos turn into proposals",
        "how many new opps entered the pipe this week", "stage aging report",
        "how many deals advanced a stage this month", "what moved stages since monday",
        "pipeline coverage for the quarter", "total open pipe across the team", "dollar value sitting in each stage",
        "how many deals did we lose out of validate", "mgr report: deals by stage and value",
        "show me flow through the stages for q3", "average days from proposal to commit",
        "what's the velocity through negotiation", "where do deals sit the longest",
        "how many deals are aging in discovery", "how many new deals were created last month", "median time in stage",
        "stage distribution of open deals", "how many deals did we push to commit in october",
        "is our funnel top heavy", "conversion from qualification to demo",
        "for the board deck i need how many deals we have in each stage, how fast they moved last quarter and which stage is the worst bottleneck",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "deals by stage count", "how many opps in validate rn", "number of deals in discover",
        "whats the conversion discover to validate this qtr", "avg days in validate",
        "how long do deals take to get through discover", "stage flow for q3",
        "how many deals moved into close this month", "where's our biggest bottleneck",
        "which stage has the most deals stuck", "funnel report pls", "how many deals left validate last month",
        "pipeline breakdown by stage", "what % of validate deals reach close", "time-in-stage report",
        "how many deals came into discover this wk", "stage conversion ytd", "how healthy is the funnel overall",
        "where do most deals drop out", "how many open opps per stage for the team",
        "avg time a deal spends in close", "in vs out per stage last qtr",
        "total count of open deals across the team", "what stage do deals spend longest in",
        "how many deals exited discover in september", "pipeline analytics for this month",
        "how's the funnel converting", "which stage is slowing everything down", "count of opps per stage for east",
        "how many deals are over the expected days in validate", "stage duration averages",
        "which stage loses the most deals", "how many deals did we advance from validate to close in q2",
        "pipeline numbers by stage this qtr", "show me how deals flowed through the stages last month",
        "what's the pass-through rate from discover", "stage counts for the west team",
        "how many deals entered close ytd", "is validate our bottleneck",
        "my vp wants to know why forecast looks thin, can you show how many deals are in each stage, how many moved between stages last qtr and where they're piling up",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "how many deals are sitting in each stage for the team rn",
        "how long are deals actually spending in discover on avg", "conversion validate -> close last qtr",
        "how many deals moved out of discover in the last 30 days",
        "whats the flow in and out of validate this month", "which stage is the choke point for east",
        "avg days in close across all reps", "how many deals did we add to discover in q2 vs q1",
        "stage counts west vs east", "what % of deals that enter discover ever make it to close",
        "time in stage numbers for discover pls", "pipe report: count per stage + avg age",
        "how many opps went from validate to close this month", "are deals piling up in validate",
        "where are deals slowing down the most right now, numbers pls",
        "how many days on avg from entering discover to landing in close", "stage flow since the start of the qtr",
        "mgr q: which stage converts worst", "is the funnel thinning out at close",
        "putting together the qbr and need the team's pipeline numbers: count of deals in discover, validate and close, how many moved between them this qtr and the avg days in each",
    ),
)
