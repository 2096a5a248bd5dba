"""The alignment puzzle: puzzles cut from real alignments, solutions, leaderboards."""
