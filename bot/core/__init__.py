"""What every engine and surface builds on: settings, the runtime, errors, the deal plan, deal actions,
process activation, wording helpers, the chat model and the demo company."""
