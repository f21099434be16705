# Functions shared by Set-MdeProxy.ps1 and Test-MdeProxy.ps1: mdeproxyc splices this
# file in place of the line "# @@MDEPROXYC_COMMON@@" of each, so the two scripts
# can never disagree about how a value is read. Not a script of its own.

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:Lines = @()

function Write-Action {
    # Records one report line, "<verb> <target>: <detail>". It writes nothing to
    # the output stream: whatever a function writes there becomes part of its
    # result (about_Return), so a skip line written from a function that returns
    # a value would corrupt that value. Write-Recorded prints the lines.
    param([string] $Verb, [string] $Target, [string] $Detail)
    $script:Lines += ('{0} {1}: {2}' -f $Verb, $Target, $Detail)
}

function Write-Recorded {
    # Prints the recorded lines, in order, and forgets them. Called only as a
    # statement of its own (the top level, or a function whose result nobody
    # takes), so the lines reach the script's output and no value.
    foreach ($line in $script:Lines) {
        Write-Output $line
    }
    $script:Lines = @()
}

function Invoke-In64BitHost {
    # Intune and many agents start scripts in 32-bit PowerShell, where HKLM:\SOFTWARE
    # writes can be redirected to WOW6432Node: run again in the 64-bit host.
    param([string[]] $Arguments)
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
        $ps64 = Join-Path $env:SystemRoot 'SysNative\WindowsPowerShell\v1.0\powershell.exe'
        & $ps64 -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $ScriptPath @Arguments
        exit $LASTEXITCODE
    }
}

function Get-RegistryValue {
    param([string] $Key, [string] $Name)
    $item = Get-Item -LiteralPath $Key -ErrorAction SilentlyContinue
    if ($null -eq $item -or $item.GetValueNames() -notcontains $Name) {
        return @{ Exists = $false; Kind = ''; Value = $null }
    }
    return @{
        Exists = $true
        Kind   = $item.GetValueKind($Name).ToString()
        Value  = $item.GetValue($Name, $null, 'DoNotExpandEnvironmentNames')
    }
}

function Test-PlanValue {
    # True when the live value is what the plan wants. ProxyBypass is also accepted
    # as REG_MULTI_SZ with the same entries, the form the 2024 Defender administrative
    # template writes, so this script never fights a GPO made with it (docs/windows.md).
    param($Op, $Live)
    if ($Op.Delete) {
        return (-not $Live.Exists)
    }
    if (-not $Live.Exists) {
        return $false
    }
    if ($Op.Name -eq 'ProxyBypass' -and $Live.Kind -eq 'MultiString') {
        return ((@($Live.Value | Where-Object { $_ }) -join ';') -ceq ([string] $Op.Value))
    }
    if ($Live.Kind -ne $Op.Type) {
        return $false
    }
    return (([string] $Live.Value) -ceq ([string] $Op.Value))
}

function Format-Live {
    param($Live)
    if (-not $Live.Exists) {
        return 'absent'
    }
    return ('{0} {1}' -f $Live.Kind, (@($Live.Value) -join ';'))
}

function Get-DefenderServiceState {
    # The WinDefend service's state, for the reason of a skip; 'absent' when the
    # service does not exist (a server without the Defender feature).
    try {
        return [string] (Get-Service -Name 'WinDefend').Status
    } catch {
        Write-Action 'skip' 'WinDefend' 'the Defender Antivirus service is not installed'
        return 'absent'
    }
}

$script:MpRead = $false
$script:MpLive = $null

function Get-MpProxyPreference {
    # The Antivirus preferences, read once per run; $null when Defender Antivirus
    # cannot answer: its module is missing (some server editions), or it is not
    # running (a third-party antivirus, passive mode), when Get-MpPreference throws
    # (docs/windows.md). The policy registry values are handled either way.
    # It answers whatever this profile manages: -Undo restores what the record
    # holds, though a later profile may no longer manage Antivirus; callers
    # that apply or check the profile ask only where $MpPreference.Manage is set.
    if ($script:MpRead) {
        return $script:MpLive
    }
    $script:MpRead = $true
    if (-not (Get-Command -Name 'Get-MpPreference' -ErrorAction SilentlyContinue)) {
        Write-Action 'skip' 'MpPreference' 'the Defender PowerShell module is not present'
        return $null
    }
    try {
        $mp = Get-MpPreference
    } catch {
        Write-Action 'skip' 'MpPreference' ('Defender Antivirus is not running (WinDefend: {0}): {1}' -f (Get-DefenderServiceState), $_.Exception.Message)
        return $null
    }
    $script:MpLive = @{
        ProxyServer = [string] $mp.ProxyServer
        ProxyPacUrl = [string] $mp.ProxyPacUrl
        ProxyBypass = @($mp.ProxyBypass | Where-Object { $_ })
    }
    return $script:MpLive
}

function Get-WinHttpProxy {
    # Reads the machine's default WinHTTP proxy through the WinHTTP API rather than
    # by parsing 'netsh winhttp show proxy', whose output is localized. $null, after
    # a skip line, when the API cannot be reached.
    try {
        if (-not ('MdeProxyc.WinHttpApi' -as [type])) {
            Add-Type -Namespace 'MdeProxyc' -Name 'WinHttpApi' -MemberDefinition @'
[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
public struct ProxyInfo { public uint AccessType; public IntPtr Proxy; public IntPtr Bypass; }
[DllImport("winhttp.dll", SetLastError = true)]
public static extern bool WinHttpGetDefaultProxyConfiguration(ref ProxyInfo info);
[DllImport("kernel32.dll")]
public static extern IntPtr GlobalFree(IntPtr mem);
'@
        }
        $info = New-Object -TypeName 'MdeProxyc.WinHttpApi+ProxyInfo'
        if (-not [MdeProxyc.WinHttpApi]::WinHttpGetDefaultProxyConfiguration([ref] $info)) {
            throw ('WinHttpGetDefaultProxyConfiguration failed: error {0}' -f [Runtime.InteropServices.Marshal]::GetLastWin32Error())
        }
        $proxy = ''
        $bypass = ''
        if ($info.Proxy -ne [IntPtr]::Zero) {
            $proxy = [Runtime.InteropServices.Marshal]::PtrToStringUni($info.Proxy)
            [void] [MdeProxyc.WinHttpApi]::GlobalFree($info.Proxy)
        }
        if ($info.Bypass -ne [IntPtr]::Zero) {
            $bypass = [Runtime.InteropServices.Marshal]::PtrToStringUni($info.Bypass)
            [void] [MdeProxyc.WinHttpApi]::GlobalFree($info.Bypass)
        }
    } catch {
        Write-Action 'skip' 'WinHTTP' ('cannot read the WinHTTP proxy: {0}' -f $_.Exception.Message)
        return $null
    }
    # AccessType 3 is WINHTTP_ACCESS_TYPE_NAMED_PROXY; 1 is no proxy (direct).
    return @{ AccessType = [int] $info.AccessType; ProxyServer = $proxy; BypassList = $bypass }
}

function Test-WinHttpProxy {
    param($Live)
    if ($WinHttp.ProxyServer -eq '') {
        return ($Live.AccessType -ne 3)
    }
    return ($Live.AccessType -eq 3 -and $Live.ProxyServer -eq $WinHttp.ProxyServer -and $Live.BypassList -eq $WinHttp.BypassList)
}

function Format-WinHttp {
    param($Live)
    if ($Live.AccessType -ne 3) {
        return 'direct'
    }
    return ('proxy-server={0} bypass-list={1}' -f $Live.ProxyServer, $Live.BypassList)
}

function Get-MmaConfig {
    # The Log Analytics agent's configuration object, or $null after a skip line.
    # New-Object raises a terminating error for a class that is not registered,
    # which -ErrorAction cannot turn off: only try/catch sees "not installed".
    # Microsoft's own sample checks for SetProxyInfo before using it (docs/windows.md).
    try {
        $cfg = New-Object -ComObject 'AgentConfigManager.MgmtSvcCfg'
    } catch {
        Write-Action 'skip' 'MMA' 'the Log Analytics agent is not installed'
        return $null
    }
    if ($null -eq (Get-Member -InputObject $cfg -Name 'SetProxyInfo')) {
        Write-Action 'skip' 'MMA' 'the agent configuration object has no SetProxyInfo method'
        return $null
    }
    return $cfg
}

function Get-MmaProxy {
    # The agent's current proxy from its undocumented proxyUrl property; Readable
    # is false where the object does not expose it.
    param($Cfg)
    try {
        return @{ Readable = $true; ProxyUrl = [string] $Cfg.proxyUrl }
    } catch {
        return @{ Readable = $false; ProxyUrl = '' }
    }
}

