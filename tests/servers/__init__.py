"""Real local servers the tests talk to: feeds over HTTP, a fake Slack Web API, SMTP."""
