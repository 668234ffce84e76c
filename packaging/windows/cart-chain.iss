; Inno Setup 6 script: Windows installer for the cart-chain one-folder bundle.
;
; Built by `python packaging\build.py --installer` on Windows, which passes the version from
; the package metadata (the only place it is kept) and the bundle folder (Inno Setup 6.3+):
;   ISCC.exe /DAppVersion=0.1.0 /DAppVersionNumeric=0.1.0 ^
;            /DBundleDir=C:\src\cart-chain\dist\cart-chain ^
;            /OC:\src\cart-chain\dist packaging\windows\cart-chain.iss
; Output: cart-chain-<version>-setup.exe.
;
; Installs into Program Files (per machine, needs administrator rights; IT departments can
; run it silently with /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/TASKS="desktopicon"]).
; Uninstalling removes the program only: databases, backups and settings in the users'
; profiles are records and are never deleted by the uninstaller.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (packaging\build.py does this)
#endif
#ifndef AppVersionNumeric
  ; Windows file versions are four numbers; build.py passes X.Y.Z of a pre-release too
  #define AppVersionNumeric AppVersion
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\cart-chain"
#endif
#define AppName "cart-chain"
#define AppExe "cart-chain-gui.exe"
#define IconFile "..\..\cart_chain\resources\icons\cart-chain.ico"

[Setup]
; A fixed AppId: upgrades replace the earlier installation instead of adding another.
AppId={{6B3F0C2E-8A4D-4E57-9C1B-5D2A7E3F9A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=cart-chain
AppComments=Chain-of-custody logger for CAR-T cell therapy
VersionInfoVersion={#AppVersionNumeric}
DefaultDirName={autopf}\cart-chain
DefaultGroupName=cart-chain
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=cart-chain-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The app must not be running while its files are replaced.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade must not keep modules of the previous version beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\cart-chain"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Chain-of-custody logger for CAR-T cell therapy"
; Through cmd /k so the console stays open and the OK/FAIL lines can be read.
Name: "{autoprograms}\cart-chain self-test"; Filename: "{cmd}"; Parameters: "/k """"{app}\cart-chain.exe"" --self-test"""; WorkingDir: "{app}"; Comment: "Check this installation without touching any records"
Name: "{autodesktop}\cart-chain"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
; As the user who started the installer, not the elevated administrator: the first-run
; wizard creates the database in the profile of whoever starts the app.
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,cart-chain}"; Flags: nowait postinstall skipifsilent runasoriginaluser
