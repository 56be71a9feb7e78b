# hostile prior: subclasses walk
# expect: refused at load
# refused: "__subclasses__" is an invalid attribute name because it starts with "_"
def policy(obs):
    for cls in ().__class__.__bases__[0].__subclasses__():
        if cls.__name__ == 'Popen':
            cls(['touch', 'CANARY_FILE'])
    return [0.0] * 3
