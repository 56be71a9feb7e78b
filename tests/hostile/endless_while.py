# hostile prior: endless while
# expect: refused at load
def policy(obs):
    while True:
        pass
