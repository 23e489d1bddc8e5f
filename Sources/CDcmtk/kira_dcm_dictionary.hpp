// The data dictionary compiled into the shim (internal to CDcmtk).
#ifndef KIRA_DCM_DICTIONARY_HPP
#define KIRA_DCM_DICTIONARY_HPP

/* Creates dcmtk's global dictionary from the compiled-in table instead of parsing the
   text files, unless the user points DCMDICTPATH somewhere; then dcmtk loads those.
   Call once, before any other thread uses dcmtk. Returns true when the table is used. */
bool kira_dcm_install_dictionary();

#endif
