"""platform_events: trading platforms push normalized trading events (REST `POST /v1/platform/events`)."""
