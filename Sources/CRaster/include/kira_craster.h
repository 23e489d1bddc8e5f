/* placeholder: replaced by the owner of CRaster */
int kira_craster_placeholder(void);
