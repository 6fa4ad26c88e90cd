package main

// defaultCommand runs when detect-train is called without a command. It
// becomes "train" (the embedded synthetic default) once the trainer exists.
const defaultCommand = "help"
