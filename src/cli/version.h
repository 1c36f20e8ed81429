/* version.h: msprune's version, defined here and nowhere else. The build may
 * add the git description (mk/everyday.mk passes MSP_GIT_VERSION from
 * `git describe --always --dirty`); without git only the release number. */
#ifndef MSP_VERSION_H
#define MSP_VERSION_H

#define MSP_VERSION_RELEASE "0.3.0"

/* "0.3.0" or "0.3.0 (git dfa6601-dirty)"; static storage. */
const char *msp_version(void);

#endif
