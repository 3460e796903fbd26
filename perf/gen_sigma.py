#!/usr/bin/env python3
"""Sigma-like process-creation rules and Sysmon-like events for perf/bench_sigma.sh.

gen_sigma.py rules N DIR   writes N Sigma YAML rules shaped like SigmaHQ's process_creation
                           rules (image suffix lists, command-line keyword lists with |all and
                           |windash, original file names, parent-image filters, 1 of/all of).
gen_sigma.py events N FILE writes N Sysmon event-1-like JSON lines of ~1 KB (type
                           process_creation); about 1 in 200 carries a suspicious command line.
Deterministic (seeded)."""
import json, os, random, sys

random.seed(7)
BINARIES = ['powershell', 'pwsh', 'cmd', 'rundll32', 'regsvr32', 'mshta', 'wscript', 'cscript',
            'certutil', 'bitsadmin', 'schtasks', 'wmic', 'net', 'net1', 'reg', 'sc', 'msiexec',
            'installutil', 'regasm', 'regsvcs', 'msbuild', 'csc', 'vbc', 'forfiles', 'pcalua',
            'bash', 'wsl', 'curl', 'wget', 'ftp', 'tar', 'expand', 'extrac32', 'makecab', 'esentutl',
            'vssadmin', 'wbadmin', 'bcdedit', 'fsutil', 'cipher', 'nltest', 'dsquery', 'whoami',
            'tasklist', 'taskkill', 'systeminfo', 'ipconfig', 'netsh', 'route', 'arp', 'nslookup',
            'ping', 'quser', 'qwinsta', 'rdpclip', 'mstsc', 'odbcconf', 'cmstp', 'control', 'explorer',
            'winword', 'excel', 'powerpnt', 'outlook', 'msedge', 'chrome', 'firefox', 'teams',
            'onedrive', 'svchost', 'services', 'lsass', 'winlogon', 'userinit', 'conhost', 'dllhost']
BINARIES += ['tool%03d' % i for i in range(230)]
WORDS = ['-enc', '-encodedcommand', '-nop', '-w hidden', 'downloadstring', 'iex', 'invoke-expression',
         'frombase64string', 'bypass', '-urlcache', '-split', 'http://', 'https://', '/transfer',
         'shadowcopy', 'delete', 'resize', '/c ', 'whoami', 'mimikatz', 'sekurlsa', 'lsadump',
         'comsvcs', 'minidump', 'procdump', '-ma ', 'add-mppreference', 'exclusionpath',
         'set-mppreference', 'disablerealtimemonitoring', 'net user', '/add', 'localgroup',
         'administrators', 'schtasks /create', '/sc onlogon', 'reg add', 'currentversion\\run',
         'vssadmin', 'wevtutil cl', 'clear-eventlog', 'bcdedit /set', 'recoveryenabled no',
         'javascript:', 'vbscript:', 'scrobj.dll', '/i:http', 'regsvr32 /s', 'dllregisterserver']
WORDS += ['kw%04d' % i for i in range(1500)]

def exe(b): return '\\' + b + '.exe'

def rule(i):
    sel = {}
    imgs = random.sample(BINARIES, random.choice([1, 1, 2, 3]))
    if random.random() < 0.3:
        sel['selection_img'] = [{'Image|endswith': [exe(b) for b in imgs]},
                                {'OriginalFileName': [b.upper() + '.EXE' for b in imgs]}]
    else:
        sel['selection_img'] = {'Image|endswith': [exe(b) for b in imgs]}
    words = random.sample(WORDS, random.randint(1, 6))
    mod = random.choice(['|contains', '|contains', '|contains|all', '|windash|contains'])
    if mod == '|windash|contains':
        words = [' -' + w.lstrip('-/ ') for w in words[:3]]
    sel['selection_cli'] = {'CommandLine' + mod: words}
    if random.random() < 0.4:
        sel['filter_parent'] = {'ParentImage|startswith': ['C:\\Program Files\\', 'C:\\Program Files (x86)\\']}
        cond = 'all of selection_* and not 1 of filter_*'
    else:
        cond = 'all of selection_*'
    sel['condition'] = cond
    return {'title': 'Generated rule %d' % i, 'id': 'gen-%05d' % i, 'status': 'test',
            'logsource': {'category': 'process_creation', 'product': 'windows'},
            'detection': sel, 'level': random.choice(['low', 'medium', 'high'])}

def yaml_of(x, indent=0):
    pad = '  ' * indent
    out = []
    if isinstance(x, dict):
        for k, v in x.items():
            if isinstance(v, (dict, list)):
                out.append(pad + k + ':')
                out.append(yaml_of(v, indent + 1))
            else:
                out.append(pad + k + ': ' + q(v))
    else:
        for v in x:
            if isinstance(v, dict):
                first = True
                for k, vv in v.items():
                    lead = pad + ('- ' if first else '  ')
                    first = False
                    if isinstance(vv, list):
                        out.append(lead + k + ':')
                        out.append(yaml_of(vv, indent + 2))
                    else:
                        out.append(lead + k + ': ' + q(vv))
            else:
                out.append(pad + '- ' + q(v))
    return '\n'.join(out)

def q(v): return "'" + str(v).replace("'", "''") + "'"

def event(i):
    b = random.choice(BINARIES[:80]) if random.random() < 0.7 else random.choice(BINARIES)
    parent = random.choice(['explorer', 'svchost', 'services', 'cmd', 'winword'])
    words = [random.choice(WORDS[60:]) for _ in range(random.randint(2, 8))]
    if random.random() < 0.005:
        words += random.sample(WORDS[:60], 3)
    folder = random.choice(['C:\\Windows\\System32\\', 'C:\\Program Files\\Vendor\\', 'C:\\Users\\u%d\\AppData\\Local\\Temp\\' % random.randint(1, 50)])
    cmd = '"%s%s.exe" %s' % (folder, b, ' '.join(words))
    guid = '{%08X-%04X-%04X-%04X-%012X}' % (random.getrandbits(32), random.getrandbits(16), random.getrandbits(16), random.getrandbits(16), random.getrandbits(48))
    return {'type': 'process_creation', 'ts': 1700000000000 + i, 'id': 'ev%d' % i, 'EventID': 1,
            'RuleName': '-', 'UtcTime': '2026-01-01 10:00:00.%03d' % (i % 1000), 'ProcessGuid': guid,
            'ProcessId': random.randint(100, 65000), 'Image': folder + b + '.exe',
            'FileVersion': '10.0.19041.%d (WinBuild.160101.0800)' % random.randint(1, 3000),
            'Description': b + ' application', 'Product': 'Microsoft Windows Operating System',
            'Company': 'Microsoft Corporation', 'OriginalFileName': b.upper() + '.EXE',
            'CommandLine': cmd, 'CurrentDirectory': 'C:\\Windows\\system32\\',
            'User': 'CORP\\u%d' % random.randint(1, 50), 'LogonGuid': guid, 'LogonId': '0x%x' % random.getrandbits(24),
            'TerminalSessionId': 1, 'IntegrityLevel': random.choice(['Medium', 'High', 'System']),
            'Hashes': 'SHA1=%040X,MD5=%032X,SHA256=%064X,IMPHASH=%032X' % (random.getrandbits(160), random.getrandbits(128), random.getrandbits(256), random.getrandbits(128)),
            'ParentProcessGuid': guid, 'ParentProcessId': random.randint(100, 65000),
            'ParentImage': 'C:\\Windows\\' + parent + '.exe', 'ParentCommandLine': parent + '.exe',
            'ParentUser': 'NT AUTHORITY\\SYSTEM'}

if sys.argv[1] == 'rules':
    n, d = int(sys.argv[2]), sys.argv[3]
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(d, 'gen_%05d.yml' % i), 'w') as f:
            f.write(yaml_of(rule(i)) + '\n')
else:
    n, path = int(sys.argv[2]), sys.argv[3]
    with open(path, 'w') as f:
        for i in range(n):
            f.write(json.dumps(event(i), separators=(',', ':')) + '\n')
