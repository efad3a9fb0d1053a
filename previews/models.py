"""previews: models arrive with their feature (see the issues); the app is in place for its layer."""
