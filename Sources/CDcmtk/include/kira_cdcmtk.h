/* placeholder: replaced by the owner of CDcmtk */
#ifdef __cplusplus
extern "C" {
#endif
int kira_cdcmtk_placeholder(void);
#ifdef __cplusplus
}
#endif
