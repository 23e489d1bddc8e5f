import CDcmtk
import COpenJPEG
