"""catalogue_api: the public program catalogue (REST `GET /v1/programs`, `GET /v1/programs/{program_id}`)."""
