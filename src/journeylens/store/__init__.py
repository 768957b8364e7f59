"""The workspace store: canonical schemas and the engines that hold the tables."""
