; Ponte's additions to the Windows installer (bundle.windows.nsis.installerHooks).
;
; The data lives in %LOCALAPPDATA%\br.app.ponte, apart from the program: the uninstaller's
; "remove the application data" box deletes that folder. The key that sealed the tokens is in
; the Windows Credential Manager, out of the folder's reach: the program removes it first.
!macro NSIS_HOOK_PREUNINSTALL
  ${If} $DeleteAppDataCheckboxState = 1
  ${AndIf} $UpdateMode <> 1
    ExecWait '"$INSTDIR\${MAINBINARYNAME}.exe" --forget-keychain'
  ${EndIf}
!macroend
