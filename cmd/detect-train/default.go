package main

// defaultCommand runs when detect-train is called without a command. It
// is "train": the embedded synthetic default run.
const defaultCommand = "train"
