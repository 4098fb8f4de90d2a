"""The session console: live operations for Minato City's metaverse support meetups."""
