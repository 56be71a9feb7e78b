"""The LLM pipeline: ``camel-gym generate | evaluate | select | render`` on one run directory.

Each stage is a module named by its verb; ``client`` talks to an OpenAI-compatible endpoint,
``prompts`` builds what it is sent, ``extract`` takes the code out of a reply, and ``cli`` is
the ``camel-gym`` command.
"""
