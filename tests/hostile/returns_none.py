# hostile prior: returns none
# expect: refused at load
# refused: an action of shape (), expected (3,)
def policy(obs):
    action = [0.0, 0.0, 0.0]
