import json, glob, os, re
rows=[]
for log in sorted(glob.glob('data/synth_limits/*.log')):
    name=os.path.basename(log)[:-4]
    j=f'data/synth_limits/{name}.jsonl'
    if not os.path.exists(j): continue
    vals=[json.loads(l) for l in open(j) if '"kind":"val"' in l]
    if not vals: continue
    txt=open(log).read()
    m=re.search(r'elapsed (\d+) s',txt); el=m.group(1) if m else '-'
    b=re.search(r'mean-pose baseline on the same people \(no pixels\): Mean ([\d.]+)',txt)
    curve=' '.join(f"{v['pckh']['Mean']:.1f}" for v in vals)
    p=vals[-1]['pckh']
    rows.append(f"| {name} | {curve} | {p['Head']:.1f} {p['Shoulder']:.1f} {p['Elbow']:.1f} {p['Wrist']:.1f} {p['Hip']:.1f} {p['Knee']:.1f} {p['Ankle']:.1f} | **{p['Mean']:.1f}** | {b.group(1) if b else '-'} | {el} |")
print("| run | Mean per epoch | Head Sho Elb Wri Hip Knee Ank | final | baseline | s |")
print("|---|---|---|---|---|---|")
print('\n'.join(rows))
