/* demo: the --demo graph.  control thread. */
#ifndef AUDIOD_DEMO_H
#define AUDIOD_DEMO_H

struct core;

/* submits OscillatorNode 440 Hz -> GainNode 0.2 -> destination.  0 or a negative errno. */
int demo_start(struct core *c);

#endif
