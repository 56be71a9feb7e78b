# hostile prior: raise system exit
# expect: refused at load
def policy(obs):
    raise SystemExit(1)
