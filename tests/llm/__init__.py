"""Tests of `prism_runtime.llm` against a loopback OpenAI-compatible server (`openai_server.py`)."""
