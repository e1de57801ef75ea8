"""The pages people use every day: server-rendered, on the actions and read helpers."""
