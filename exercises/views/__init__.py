"""Views by area: `live` runs an exercise (console, team page, release, respond); `scenarios` authors MSELs."""
