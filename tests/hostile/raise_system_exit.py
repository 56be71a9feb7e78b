# hostile prior: raise system exit
# expect: refused at load
# refused: NameError: name 'SystemExit' is not defined
def policy(obs):
    raise SystemExit(1)
