<#
.SYNOPSIS
    magnet on Windows, where make is not installed: the same two commands as the Makefile.

.DESCRIPTION
    .\make.ps1 run     creates .venv, installs magnet, starts the app (arguments after 'run' go to magnet)
    .\make.ps1 test    creates .venv with the test tools, runs lint, type checks and the whole test suite

    Any Python 3 runs the setup (tools\bootstrap.py): it uses Python 3.12 or 3.11 when installed, or
    fetches uv from the package index to install CPython 3.12 for .venv. Where scripts are blocked:
    powershell -ExecutionPolicy Bypass -File make.ps1 run
#>
param(
    [Parameter(Position = 0)][ValidateSet('run', 'test')][string]$Target = 'run',
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

# A Python 3 to run the setup with. `python` may be the Microsoft Store's stand-in, which fails.
$setup = $null
foreach ($candidate in @(@{ Exe = 'py'; Args = @('-3') }, @{ Exe = 'python'; Args = @() }, @{ Exe = 'python3'; Args = @() })) {
    if (-not (Get-Command $candidate.Exe -ErrorAction SilentlyContinue)) { continue }
    $probeArgs = $candidate.Args + @('-c', 'import sys; sys.exit(sys.version_info[0] != 3)')
    try { & $candidate.Exe @probeArgs *> $null } catch { continue }
    if ($LASTEXITCODE -eq 0) { $setup = $candidate; break }
}
if ($null -eq $setup) {
    Write-Host "magnet setup: no Python 3 here to start from. Install Python 3.12: winget install Python.Python.3.12 (or https://www.python.org/downloads/windows/), then run .\make.ps1 $Target again."
    exit 1
}

$setupArgs = $setup.Args + @('tools\bootstrap.py')
if ($Target -eq 'test') { $setupArgs += '--test' }
& $setup.Exe @setupArgs
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

function Invoke-Step([string]$Tool, [string[]]$ToolArgs) {
    if ($null -eq $ToolArgs) { $ToolArgs = @() }
    & (Join-Path $PSScriptRoot ".venv\Scripts\$Tool.exe") @ToolArgs
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Target) {
    'run' { Invoke-Step 'magnet' $Rest }
    'test' {
        Invoke-Step 'ruff' @('check', '.')
        Invoke-Step 'ruff' @('format', '--check', '.')
        Invoke-Step 'mypy' @()
        Invoke-Step 'mypy' @('--platform', 'darwin')
        Invoke-Step 'mypy' @('--platform', 'win32')
        Invoke-Step 'pytest' @('-q', '-n', '2')
    }
}
