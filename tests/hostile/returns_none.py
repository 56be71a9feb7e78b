# hostile prior: returns none
# expect: refused at load
def policy(obs):
    action = [0.0, 0.0, 0.0]
