/* `audioctl render`: a graph document to a WAV file, offline, without a daemon.
 * a plain single-threaded program. */
#ifndef AUDIOD_CLIENT_RENDER_H
#define AUDIOD_CLIENT_RENDER_H

/* argv[0] is "render"; returns the process exit status */
int audioctl_render_main(int argc, char **argv);

#endif
