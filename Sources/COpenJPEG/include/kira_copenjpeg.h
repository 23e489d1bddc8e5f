/* placeholder: replaced by the owner of COpenJPEG */
int kira_copenjpeg_placeholder(void);
