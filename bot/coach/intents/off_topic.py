"""Questions outside selling and the asker's deals: said plainly, with what the coach can do instead."""

from __future__ import annotations

from bot.coach.intents.base import Ask, Intent
from bot.coach.intents.help import capabilities
from bot.coach.types import CoachAnswer


def handle(ask: Ask) -> CoachAnswer:
    answer = capabilities(ask, "That's outside what I know — I only answer from your deals, the team's sales "
                               "process and its playbooks. Here's what I can do:")
    answer.intent = "off_topic"
    return answer


INTENT = Intent(
    name="off_topic",
    summary="questions outside selling",
    handle=handle,
    examples=(
        "what's the weather in paris", "tell me a joke", "where should i get lunch", "write me a poem",
        "what's the capital of peru", "how do i fix my python code",
        "book a flight to london", "what's 17 times 23", "recommend a movie", "what time is it in tokyo",
        "translate hello into spanish", "how do i reset my password", "what's the meaning of life",
        "can you order pizza", "what's bitcoin at", "play some music", "how tall is the eiffel tower",
        "is it going to rain tomorrow", "who is the president",
        "my laptop is slow", "recipe for banana bread",
        "write a limerick about my dog", "write a song about tacos", "write me a story about dragons",
        "draft a birthday card for my mom", "whats the score of the lakers game", "how many ounces in a cup",
        "fix this sql query", "how do i center a div", "best pizza near me", "what should i have for dinner",
        "tell me something funny", "how old is the universe", "who wrote hamlet", "convert 50 usd to euros",
        "weather forecast tmrw", "is it cold outside", "set an alarm for 7am", "good podcast recommendations",
        "how do i make cold brew", "explain quantum physics", "write a python function to sort a list",
        "who's gonna win the world cup", "what's the population of canada", "knock knock", "sing me a song",
        "how do i install numpy", "what's 12 plus 9", "where's a good burger place", "write a short poem about rain",
        "what game is on tonight", "who plays in the super bowl", "what's apple stock at", "how do i change a tire",
        "what's for dinner tonight", "fun fact pls",
        "how do i boil an egg", "help me with a spreadsheet formula", "can you help me with my taxes",
        "who won the grammys", "who won the election", "how do i make pasta", "help me plan my vacation",
        # Written by a second author, to widen the vocabulary and sharpen look-alike intents.
        "who's winning the nba finals", "write a poem about closing deals", "help me with my kid's math homework",
        "what's the derivative of x squared", "what's a good gift for my wife's birthday",
        "how long do i roast a chicken", "how many calories in a banana", "can you debug this javascript",
        "write a regex for email addresses", "what's the best running shoe", "should i get a dog or a cat",
        "what year did ww2 end", "i'm bored", "any good books to read", "how do i get my toddler to sleep",
        "what's the tallest mountain in the world", "rate my fantasy football team", "how do i unclog a drain",
        "summarize today's news", "what's the speed of light", "write a cover letter for me", "do you like cats",
        "what's traffic like on the 101", "how do i meditate", "tell me a riddle", "what's the square root of 144",
        "how do you say thank you in japanese", "recommend a netflix show", "how's the stock market today",
        "how do i fix a merge conflict in git", "what's the best way to learn guitar", "who won the f1 race",
        "how do i expense my lunch", "write me a rap about mondays",
        "so my landlord is raising the rent again and i can't decide whether to move or try to negotiate with him, what would you do in my shoes",
        # Written by a third author, who saw only what the coach does, to widen the vocabulary again.
        "write a python script to parse a csv", "what's our pto policy", "book me a hotel in chicago",
        "how many vacation days do i have", "can you order lunch for the team", "what's the guest wifi in the office",
        "hr policy on remote work", "book a flight to denver next tues", "score of the yankees game",
        "how do i get reimbursed for mileage", "fix my excel vlookup", "when is payroll",
        "reserve a meeting room for 3pm", "my vpn keeps dropping", "how do i add a printer", "whats the dress code",
        "translate this paragraph into german", "what's the best laptop for work", "who's the ceo of microsoft",
        "write a bash one-liner to rename files", "how do i file a travel expense", "is the office open on the 4th",
        "what's the 401k match", "help me write my linkedin bio", "good restaurant for a client dinner downtown?",
        "how do i set up out of office in outlook", "who's playing in the champions league final",
        "calculate a 15% tip on 84", "can you summarize this pdf", "what's the parental leave policy",
        "how do i update my direct deposit", "what's the weather like in austin this weekend",
        "write a sql join for me", "how do i request a new monitor", "tell me about the history of rome",
        "when's the company holiday party",
        "flying to boston for a conference next month and need a flight and a hotel near the convention center under 250 a night, can you sort that out",
        # Written by a fourth author, on the pairs cross-validation over the examples confuses most.
        "wheres the expense portal, need to submit receipts", "whats the process for booking pto",
        "can you format this slide deck for the all hands", "locked out of the crm, how do i get my login reset",
        "my zoom audio isnt working", "help me write a job post for an office manager",
        "how do i negotiate my salary", "whats the best way to organize my inbox",
        "can you make me an excel pivot table", "how do i write my self review for perf season",
        "help me plan the team offsite agenda", "what should i wear to the kickoff party",
        "how do i get my commission check corrected with payroll",
        "write a thank you note to my coworker for covering my shift", "how do i change my slack status",
        "set up a calendar invite for our team standup",
        "how do i deal with a coworker who keeps taking credit for my work",
        "tips for giving a speech at my friend's wedding", "whats the time difference between ny and london",
        "i need to finish my quarterly expense report and i have a bunch of uber receipts and a client dinner, how do i categorize all that in concur",
        # Written by a fifth author, blind to every other phrasing, from a description of each intent.
        "whats for lunch", "will it rain tomorrow", "write me a python script to sort a list",
        "how many vacation days do i get", "how do i fix my vpn", "best movies this year",
        "whats the capital of australia", "did the lakers win", "how's your day going",
        "can you help me with my expense report", "good place to get coffee near the office",
        "write a poem about cats", "how do i reset my laptop password", "who's the ceo of apple",
        "is the stock market up today", "what should i get my wife for her birthday", "how do i center a div in css",
        "when is the next public holiday", "recommend a good podcast", "how's the traffic on 101",
        "how do i file a complaint with hr", "can you book me a flight to denver", "fantasy football advice?",
        "how long should i boil an egg",
        # Written by a sixth author, blind to every other phrasing, from a description of each intent.
        "whats the weather tomorrow", "book me a flight to chicago", "write me a poem about cats",
        "whats 15% of 240", "translate hello into french", "who's the president of france",
        "recommend a good netflix show", "how do i submit my expense report", "when is the next holiday",
        "how tall is mount everest", "my kid is sick what should i do", "whats the stock price of apple",
        "explain quantum computing", "how do i set up an out of office in outlook",
        # Written by a seventh author, blind to every other phrasing, from a description of each intent.
        "know any good jokes", "write me a poem about mondays", "any good netflix recs",
        "my kid's sick, should i stay home", "recipe for banana bread pls", "what's a good gym routine",
        "lol ur funny", "whats the best pizza place in nyc", "tell me about the roman empire",
        "recommend a book for my flight", "is it gonna rain this weekend",
        # Written by an eighth author (a seller's shorthand), blind to every other phrasing, from the same description.
        "whats the weather in chicago", "recommend a good true crime podcast", "my kid is sick, any tips",
        "whats a 20% tip on 84", "cheapest flights to denver next wknd", "translate hello into japanese",
        "what movie should i watch tonight", "lol im so tired today", "how do i fix my excel vlookup",
        "help me plan my vacation to mexico", "give me a fun fact", "how many calories in a burrito",
        "fantasy football advice pls, who do i start", "write a birthday msg for my mom",
    ),
)
