"""Red flags said the way people say them, family by family, in English and Spanish: each
family's positives are flagged (at least at the given severity, in the given category) and
its hard negatives are not. Screened as the bot screens: every language's rules and model."""

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

import pytest

from peerbot.dialogs.detection import SEVERITIES, Detection, RuleFile, detect, parse_rule_file
from peerbot.program import ProgramData, load_program
from peerbot.services.escalations.screening import screen

TOKEN = re.compile(r"\([^()]*\)|[^\s()]+")  # a pattern's tokens, as patterns.py reads them


@cache
def program() -> ProgramData:
    return load_program()


def found(text: str, lang: str) -> Detection:
    return screen(program(), text, lang)


# (lang, text, category, least severity)
POSITIVES = [
    # suicidal thinking said obliquely, with no "die", "kill" or "suicide"
    ("en", "honestly i don't know why i'm still here", "suicide", "high"),
    ("en", "everyone would cope fine without me", "suicide", "high"),
    ("en", "i've given up on living", "suicide", "high"),
    ("en", "this will be my last message, thank you for everything", "suicide", "high"),
    ("es", "no se ni por que sigo aqui", "suicide", "high"),
    ("es", "todos estarian bien sin mi", "suicide", "high"),
    ("es", "me quede sin motivos para quedarme", "suicide", "high"),
    ("es", "este es mi ultimo mensaje, gracias por todo", "suicide", "high"),
    # researching or preparing a method
    ("en", "been reading up on which pills are lethal with alcohol", "suicide", "critical"),
    ("en", "i've been stockpiling my prescription", "suicide", "critical"),
    ("en", "i've got the rope tied already", "suicide", "critical"),
    ("es", "busque en google cuanta insulina es una dosis mortal", "suicide", "critical"),
    ("es", "estuve juntando mis medicamentos", "suicide", "critical"),
    ("es", "ya tengo la cuerda atada", "suicide", "critical"),
    # done with life, and a time
    ("en", "tonight's the night. i've made up my mind", "suicide", "critical"),
    ("es", "esta noche es la noche, ya lo decidi", "suicide", "critical"),
    # self-harm in the continuous or past tense, with no object
    ("en", "i've been cutting again", "self_harm", "high"),
    ("en", "i cut last night, it was bad", "self_harm", "high"),
    ("es", "me he estado lastimando otra vez", "self_harm", "high"),
    ("es", "anoche me corte, fue feo", "self_harm", "high"),
    # fear or thoughts of harming one's own child
    ("en", "i'm afraid to be alone with my kids, i don't trust myself", "postpartum", "critical"),
    ("en", "i imagine dropping him from the balcony", "postpartum", "critical"),
    ("es", "me da miedo quedarme sola con mis hijos, no confio en mi", "postpartum", "critical"),
    ("es", "me imagino tirandolo por el balcon", "postpartum", "critical"),
    # post-partum psychosis and warning signs
    ("en", "my baby is 5 days old and i'm hearing things", "postpartum", "high"),
    ("es", "mi bebe tiene 5 dias y escucho cosas", "postpartum", "high"),
    ("es", "desde que di a luz empapo una compresa cada hora", "postpartum", "high"),
    # despair in metaphor
    ("en", "i'm in a really dark place right now", "acute_distress", "medium"),
    ("en", "i'm hanging on by a thread", "acute_distress", "medium"),
    ("es", "estoy en un lugar muy oscuro ahora mismo", "acute_distress", "medium"),
    ("es", "estoy colgando de un hilo", "acute_distress", "medium"),
    # abuse, medical emergencies, harm to others, burnout, in other words
    ("en", "my husband put his hands around my neck last night", "abuse", "high"),
    ("es", "mi marido me apreto el cuello anoche", "abuse", "high"),
    ("en", "he's breathing really weird and we can't wake him up", "medical", "high"),
    ("es", "respira muy raro y no lo podemos despertar", "medical", "high"),
    ("en", "i keep fantasising about stabbing my boss", "harm_to_others", "high"),
    ("es", "no dejo de fantasear con apuñalar a mi jefe", "harm_to_others", "high"),
    ("en", "every session leaves me wiped out for days", "burnout", "medium"),
    ("es", "cada sesion me deja hecha polvo por dias", "burnout", "medium"),
    # English, written apart from the rules
    ("en", "im just a weight round my family's neck", "suicide", "high"),
    ("en", "honestly being dead sounds better than this", "suicide", "high"),
    (
        "en",
        "honestly i'm sick of living. not of anything in particular, just living",
        "suicide",
        "high",
    ),
    (
        "en",
        "i feel really calm now that i've decided. thanks for all your help",
        "suicide",
        "high",
    ),
    (
        "en",
        "if anything happens to me the password for my laptop is in the kitchen drawer",
        "suicide",
        "high",
    ),
    ("en", "walking to the tracks now", "suicide", "critical"),
    ("en", "i've decided on friday night when the kids are at their dad's", "suicide", "critical"),
    ("en", "been cutting most nights this week", "self_harm", "high"),
    ("en", "i keep hiding the marks from my husband", "self_harm", "high"),
    ("en", "the darkness is back and it's worse this time", "acute_distress", "medium"),
    (
        "en",
        "i'm stood on the overpass above the ring road, cars are so loud",
        "suicide",
        "critical",
    ),
    (
        "en",
        "got a pipe that fits the exhaust, garage door shuts from inside",
        "suicide",
        "critical",
    ),
    ("en", "my cousin posted a goodbye on insta and now his phone is off", "suicide", "critical"),
    ("en", "bought razors today. not for my legs", "self_harm", "high"),
    ("en", "my son ate one of the dishwasher tablets", "medical", "critical"),
    (
        "en",
        "she mentioned she has been stockpiling her sleeping pills and is saving them",
        "suicide",
        "high",
    ),
    (
        "en",
        "my partner took my phone and my car keys again, writing from my friend's phone",
        "abuse",
        "high",
    ),
    (
        "en",
        "she keeps saying the baby is not her real baby and someone is poisoning his bottles",
        "postpartum",
        "high",
    ),
    (
        "en",
        "im on the top floor of the car park by the station. just wanted someone to know",
        "suicide",
        "critical",
    ),
    (
        "en",
        "ive sorted the passwords and the kids routine for my sister, im just waiting till "
        "after her birthday",
        "suicide",
        "high",
    ),
    (
        "en",
        "i keep seeing pictures of drowning him in the bath, i'd never but i'm terrified",
        "harm_to_others",
        "high",
    ),
    (
        "en",
        "gave my bike to my nephew and found a new home for the dog, nice to have it all sorted",
        "suicide",
        "high",
    ),
    ("en", "is the 6th floor of the car park high enough? asking for me", "suicide", "critical"),
    (
        "en",
        "did the thing i swore i would never do again, the cuts are still raw",
        "self_harm",
        "high",
    ),
    (
        "en",
        "sorry for all the trouble, thanks for putting up with me. you won't hear from me again",
        "suicide",
        "high",
    ),
    (
        "en",
        "this isn't a cry for help, i just wanted someone to know i've made my choice",
        "suicide",
        "high",
    ),
    (
        "en",
        "swallowed a few of my sertraline, not to die, i just needed to feel something",
        "self_harm",
        "high",
    ),
    (
        "en",
        "3 weeks after the birth, haven't slept in 5 nights and my head is racing so fast",
        "postpartum",
        "high",
    ),
    # Spanish, written apart from the rules
    ("es", "si mañana no estoy, que sepan que los quise mucho", "suicide", "high"),
    ("es", "deje una nota en el cajon para que la lean cuando yo falte", "suicide", "high"),
    ("es", "la idea de no existir me da paz", "suicide", "high"),
    ("es", "me siento en paz desde que tome la decision", "suicide", "high"),
    (
        "es",
        "estoy caminando al lado de las vias, el proximo pasa en 10 min",
        "suicide",
        "critical",
    ),
    (
        "es",
        "ya elegi el dia, va a ser el domingo cuando mis papas se vayan",
        "suicide",
        "critical",
    ),
    ("es", "he estado haciendolo otra vez, ya sabes que", "self_harm", "high"),
    ("es", "uso manga larga aunque haga calor para que no vean las marcas", "self_harm", "high"),
    ("es", "me castigo sin comer cuando hago algo mal", "self_harm", "high"),
    (
        "es",
        "me da miedo lo que le pueda hacer a mi hijo cuando no para de llorar",
        "harm_to_others",
        "high",
    ),
    ("es", "mi papa dijo que si lo dejamos solo se quita la vida", "suicide", "medium"),
    ("es", "la oscuridad me esta tragando", "acute_distress", "medium"),
    ("es", "me conto que piensa en quitarse la vida cuando el bebe no duerme", "suicide", "high"),
    ("es", "perdonadme por lo que voy a hacer, gracias por todo", "suicide", "high"),
    ("es", "la participante me dijo que su marido la echo de casa con los niños", "abuse", "high"),
    ("es", "no creo que siga aqui para la revision del mes que viene", "suicide", "high"),
    ("es", "me rasco los brazos hasta hacerme sangre cuando me agobio", "self_harm", "high"),
    ("es", "mi pareja me quita el movil y lo revisa todo cada noche", "abuse", "high"),
    ("es", "ya tengo todo regalado, mi sobrina se quedo con los libros", "suicide", "high"),
    (
        "es",
        "cuantas pastillas de diazepam son demasiadas para alguien como yo?",
        "suicide",
        "critical",
    ),
    (
        "es",
        "esa niña no es mi hija, es una muñeca que mandaron para espiarme",
        "postpartum",
        "high",
    ),
    (
        "es",
        "gracias por aguantarme todo este tiempo, perdon por todo. cuidense",
        "suicide",
        "high",
    ),
    ("es", "ya lo decidi y no es un grito de ayuda", "suicide", "high"),
    (
        "es",
        "a las dos semanas del parto sigo empapando compresas, una cada hora",
        "postpartum",
        "critical",
    ),
    ("es", "se salto la orden de alejamiento y esta en la puerta de casa", "abuse", "high"),
    # a day picked as a farewell, "don't look for me", things given away, a last Christmas,
    # accounts closed, a threat near a child, a head injury's signs, days without food
    (
        "es",
        "ya tengo el dia elegido, el lunes que mi compañera de piso se va de viaje",
        "suicide",
        "critical",
    ),
    (
        "es",
        "va a ser el sabado, cuando los chicos esten con su abuela. no hay vuelta atras",
        "suicide",
        "critical",
    ),
    ("es", "no me busques mas, porfa. ya tome mi decision y estoy tranquila", "suicide", "high"),
    (
        "es",
        "mi primo regalo su moto y sus discos y dijo que ya no le hacen falta",
        "suicide",
        "high",
    ),
    (
        "es",
        "mi abuela dice que esta es su ultima navidad y ya repartio sus joyas entre las nietas",
        "suicide",
        "high",
    ),
    (
        "es",
        "cancele la tarjeta y di de baja el telefono, a donde voy no me van a servir",
        "suicide",
        "high",
    ),
    (
        "es",
        "que pasa con la cuenta del banco de alguien que se muere? pregunto por mi",
        "suicide",
        "high",
    ),
    ("es", "neta ya me canse de estar aqui, ojala ya se acabara todo", "suicide", "high"),
    (
        "es",
        "como ese desgraciado se vuelva a acercar a mi hija lo mato, ya se donde trabaja",
        "harm_to_others",
        "high",
    ),
    (
        "es",
        "mi hijo se golpeo la cabeza en el recreo y ahora vomita y no sabe donde esta",
        "medical",
        "critical",
    ),
    ("es", "van cuatro dias que no pruebo bocado y casi no duermo", "acute_distress", "medium"),
    ("es", "ya se que puente y a que hora. no se lo cuentes a nadie", "suicide", "critical"),
    (
        "en",
        "picked the night, thursday, when my girlfriend is at her mum's. no going back",
        "suicide",
        "critical",
    ),
    ("en", "please don't try to find me, i've made up my mind and i feel calm", "suicide", "high"),
    (
        "en",
        "my uncle gave away his fishing gear and his watch and says he won't need them",
        "suicide",
        "high",
    ),
    (
        "en",
        "closed my accounts and cancelled my phone, where i'm going i won't need them",
        "suicide",
        "high",
    ),
    (
        "en",
        "if that creep goes near my daughter again i'll kill him, i know where he works",
        "harm_to_others",
        "high",
    ),
    (
        "en",
        "my son hit his head at school, keeps being sick and doesn't know where he is",
        "medical",
        "critical",
    ),
    ("en", "four days now without eating and i can barely sleep", "acute_distress", "medium"),
    ("en", "i know which bridge and what time. don't tell anyone", "suicide", "critical"),
    # the eighth round: a scene set without a death word, said to be happening now
    (
        "en",
        "the rope is already hanging from the loft hatch, finishing my tea",
        "suicide",
        "critical",
    ),
    ("es", "ya deje la soga colgada en el altillo, termino el mate y ya", "suicide", "critical"),
    # an overdose taken minutes ago is a medical emergency first
    ("en", "swallowed my whole week of tablets twenty minutes ago", "medical", "critical"),
    ("es", "me trague las pastillas de toda la semana hace veinte minutos", "medical", "critical"),
    # a passive wish, things handed out, marking the skin
    (
        "en",
        "if i caught something nasty i wouldnt fight it, not planning anything",
        "suicide",
        "medium",
    ),
    ("es", "si me agarro algo feo no lo pienso pelear, no planeo nada", "suicide", "medium"),
    ("es", "ya regale la moto y la compu, me gusta dejar todo repartido", "suicide", "high"),
    (
        "en",
        "scoring my skin with a pin helps me more than my counsellor does",
        "self_harm",
        "high",
    ),
    (
        "es",
        "marcarme los brazos con una aguja me sirve mas que el psiquiatra",
        "self_harm",
        "high",
    ),
    # a weapon and a target, a neighbour's bruised child, control without hitting
    (
        "en",
        "driving over to his house right now with my uncle's gun",
        "harm_to_others",
        "critical",
    ),
    (
        "es",
        "voy para la casa de ese tipo ahora mismo con el revolver de mi tio",
        "harm_to_others",
        "critical",
    ),
    (
        "en",
        "the kid across the road keeps turning up with bruises and today a black eye",
        "abuse",
        "high",
    ),
    (
        "es",
        "el chico de enfrente siempre aparece con moretones y hoy con el ojo morado",
        "abuse",
        "high",
    ),
    ("es", "mi novio nunca me pego pero grita, rompe todo y vivo con miedo", "abuse", "medium"),
    # symptoms that are medical emergencies, not suicide
    ("en", "my mum has been fitting for six minutes and it isn't stopping", "medical", "critical"),
    ("es", "mi mama esta convulsionando hace seis minutos y no se le pasa", "medical", "critical"),
    ("en", "the baby is all floppy and her lips have gone blue", "medical", "critical"),
    ("es", "el bebe esta todo flojito y con los labios azules", "medical", "critical"),
    (
        "en",
        "a week after my c-section, feverish and bleeding heavier with clots",
        "postpartum",
        "high",
    ),
    (
        "es",
        "a una semana de la cesarea tengo fiebre y sangro mas con coagulos",
        "postpartum",
        "high",
    ),
    # the round's figures of speech do not hide what is said beside them
    ("es", "tengo la idea de matarme en bucle todo el dia", "suicide", "high"),
    (
        "en",
        "the chest pain turned out to be a heart attack, they're keeping him in",
        "medical",
        "high",
    ),
    ("es", "hoy estoy muy bien porque ya decidi que esta noche me mato", "suicide", "critical"),
    # volunteers numbed by the sessions
    (
        "en",
        "the listening sessions leave me numb and short-tempered with my own family",
        "burnout",
        "medium",
    ),
    # the ninth round: a quiet wish to be gone, a band snapped till it marks, a place chosen
    (
        "en",
        "just counting down until i'm not around anymore, no plan or anything",
        "suicide",
        "medium",
    ),
    ("es", "solo estoy esperando a que me toque irme, no tengo plan ni nada", "suicide", "medium"),
    ("en", "honestly a cancer diagnosis would feel like a relief", "suicide", "medium"),
    ("es", "si me dijeran que tengo algo incurable creo que sentiria alivio", "suicide", "medium"),
    (
        "en",
        "i keep flicking the hair tie on my wrist until it leaves bruises",
        "self_harm",
        "medium",
    ),
    (
        "es",
        "me pego con la liga en la muñeca hasta que me quedan moretones",
        "self_harm",
        "medium",
    ),
    (
        "en",
        "i already picked the spot, the cliffs by the lighthouse, "
        "i just need to work up the nerve",
        "suicide",
        "high",
    ),
    (
        "es",
        "ya tengo el sitio pensado, el puente del rio, solo me falta armarme de valor",
        "suicide",
        "high",
    ),
    (
        "en",
        "left the insurance papers signed on the desk and my passwords for my son, "
        "nothing more to do",
        "suicide",
        "high",
    ),
    (
        "es",
        "deje las claves en un sobre para mi hija y el testamento al dia, "
        "ya no me queda nada que hacer",
        "suicide",
        "high",
    ),
    # ... and what must be critical whatever else the message says (safety first)
    (
        "en",
        "my grandad's face is drooping on one side and he can't get his words out",
        "medical",
        "critical",
    ),
    (
        "es",
        "a mi abuelo se le cayo un lado de la cara y no le salen las palabras",
        "medical",
        "critical",
    ),
    (
        "en",
        "took the shotgun down from the attic and loaded it, tonight it ends",
        "suicide",
        "critical",
    ),
    (
        "es",
        "saque la escopeta de mi papa y la cargue, esta noche se acaba todo",
        "suicide",
        "critical",
    ),
    ("en", "the poison is mixed in a cup next to me, just saying bye", "suicide", "critical"),
    (
        "es",
        "tengo el veneno servido en un vaso al lado, solo queria despedirme",
        "suicide",
        "critical",
    ),
    (
        "en",
        "i've got a bat in the car and i'm driving to his place right now",
        "harm_to_others",
        "critical",
    ),
    (
        "es",
        "llevo el cuchillo en el bolso y voy ahora mismo a buscarla",
        "harm_to_others",
        "critical",
    ),
    ("en", "he's kicking the bedroom door in and screaming he'll kill me", "abuse", "critical"),
    (
        "es",
        "esta dando patadas a la puerta del baño y dice que me va a matar",
        "abuse",
        "critical",
    ),
    (
        "en",
        "my flatmate collapsed on the floor and isn't responding, i can't tell if he's breathing",
        "medical",
        "critical",
    ),
    (
        "es",
        "mi tio se cayo redondo, no reacciona y no se si esta respirando",
        "medical",
        "critical",
    ),
    (
        "en",
        "since the birth my wife insists the baby was switched at the hospital and isn't ours",
        "postpartum",
        "critical",
    ),
    (
        "es",
        "desde el parto mi mujer jura que el bebe no es suyo, que se lo cambiaron en el hospital",
        "postpartum",
        "critical",
    ),
    # the tenth round: affairs wound down, ambivalence, a child's emergency, means got
    # covertly or seen with someone else, burning to feel, a relative's account, dreams
    ("en", "sold the car, closed my account, no point past christmas", "suicide", "high"),
    ("es", "cancele la tarjeta, despues de navidad no me hace falta", "suicide", "high"),
    ("en", "not that i want to die, part of me wants to not be here", "suicide", "medium"),
    ("es", "no es que quiera morir, una parte de mi quiere no estar", "suicide", "medium"),
    ("en", "my 2 year old swallowed a battery out of the tv remote", "medical", "critical"),
    ("es", "mi hija se trago una pila del control de la tele", "medical", "critical"),
    ("en", "she's fitting and it's been 7 minutes, first time ever", "medical", "critical"),
    ("es", "esta convulsionando hace 7 minutos, es la primera vez", "medical", "critical"),
    ("en", "my son is choking on a sweet and can't cough", "medical", "critical"),
    ("es", "mi hijo se atraganto con un caramelo y no puede toser", "medical", "critical"),
    ("en", "buying tablets from different pharmacies so nobody notices", "suicide", "high"),
    ("es", "compro pastillas en varias farmacias asi nadie sospecha", "suicide", "high"),
    ("en", "my uncle says he's a burden and my aunt saw him buying rope", "suicide", "high"),
    ("es", "mi tio dice que es una carga y mi tia lo vio comprando una soga", "suicide", "high"),
    ("en", "i burned my wrist with a lighter just to feel something", "self_harm", "high"),
    ("es", "me queme la muñeca con el mechero solo para sentir algo", "self_harm", "high"),
    ("en", "since the birth she won't eat, says she's a useless mum", "postpartum", "medium"),
    ("es", "desde el parto no come, dice que no sirve como madre", "postpartum", "medium"),
    ("en", "since that participant's call i dream of it every night", "burnout", "medium"),
    ("es", "desde esa llamada de la participante sueño con eso cada noche", "burnout", "medium"),
    # the eleventh round: preparation told as chores, goodbyes to a group, a relative's goodbye
    # and a weapon, intake answers, waking wished away, a belt, a supporter's nightmares
    ("en", "gave my camera to my brother today, feeling strangely calm", "suicide", "high"),
    ("es", "le regale mi camara a mi hermano, extrañamente tranquila", "suicide", "high"),
    ("en", "checked when the freight train comes past, i know exactly when", "suicide", "high"),
    ("es", "ya calcule a que hora pasa el tren de carga por el paso a nivel", "suicide", "high"),
    ("en", "bought a hosepipe, told the woman at the till it was for the car", "suicide", "high"),
    ("es", "compre una manguera, a la cajera le dije que era para el coche", "suicide", "high"),
    ("en", "timed an email to go to my son for monday morning", "suicide", "high"),
    ("es", "deje programada una carta para mi hijo para el lunes", "suicide", "high"),
    ("en", "thanks for putting up with me all, please delete my number", "suicide", "high"),
    ("es", "gracias por aguantarme, borren mi numero", "suicide", "high"),
    ("en", "my son texted 'take care of your mum' and he has his rifle", "suicide", "critical"),
    ("es", "mi hijo escribio 'cuiden a mi mama' y tiene su escopeta", "suicide", "critical"),
    ("en", "asked if i'd made a plan: yes, i know the bridge and the day", "suicide", "high"),
    ("es", "me preguntaron si he pensado como lo haria: si, con la cuerda", "suicide", "high"),
    ("es", "me acuesto deseando no despertar", "suicide", "medium"),
    ("en", "i hit my arms with a belt until they were red", "self_harm", "high"),
    ("es", "me pegue con la correa en los brazos hasta dejarlos rojos", "self_harm", "high"),
    ("en", "nightmares since the participant's call about her son", "burnout", "medium"),
    ("es", "pesadillas desde la llamada de la participante", "burnout", "medium"),
    # the eleventh round's grading: means in place, an order broken, a weapon and a locked
    # door, a caustic swallowed, a diabetic unresponsive, god asking for the baby
    ("en", "belt tied to the wardrobe rail, door locked, sorry dad", "suicide", "critical"),
    ("es", "el cinturon atado a la barra del ropero, perdon papa", "suicide", "critical"),
    ("en", "he's smashing the door in, he has a restraining order", "abuse", "critical"),
    ("es", "esta rompiendo la puerta y tiene orden de alejamiento", "abuse", "critical"),
    ("en", "dad's locked mum in and he's loading the rifle", "harm_to_others", "critical"),
    ("es", "mi papa encerro a mi mama y esta cargando la escopeta", "harm_to_others", "critical"),
    ("en", "my baby drank some bleach and is drooling", "medical", "critical"),
    ("es", "mi bebe trago lejia y esta babeando", "medical", "critical"),
    ("en", "she's diabetic and now she's unresponsive", "medical", "critical"),
    ("es", "es diabetico y ya no responde", "medical", "critical"),
    ("en", "since the birth she says god wants the baby as a sacrifice", "postpartum", "critical"),
    ("es", "desde el parto dice que dios le pide sacrificar al bebe", "postpartum", "critical"),
    ("en", "punched the door until my knuckles split", "self_harm", "high"),
    ("es", "golpee la puerta hasta que los nudillos me sangraron", "self_harm", "high"),
    ("en", "he's outside her house right now with a knife", "harm_to_others", "critical"),
    ("es", "esta afuera de su casa ahora mismo con un cuchillo", "harm_to_others", "critical"),
    ("en", "i'll smash his face in, i know where he works", "harm_to_others", "high"),
    ("es", "le voy a partir la cara, se donde trabaja", "harm_to_others", "high"),
    # the twelfth round: a dose asked "for a friend", a rope with a cover story, a goodbye
    # leaving the new ones in care, heights searched, disappearing "or for good", blades
    # nearly fetched, a new mother going through the motions, a double dose of lithium
    ("en", "how many sleeping pills to not wake up? asking for a friend", "suicide", "high"),
    ("es", "cuantas pastillas para dormir hacen falta? pregunto por una amiga", "suicide", "high"),
    ("en", "got a rope, the cashier asked what it was for and i said camping", "suicide", "high"),
    ("es", "compre cuerda, me pregunto para que y le dije que para acampar", "suicide", "high"),
    ("en", "thank you all. look after the newbies. goodbye", "suicide", "high"),
    ("es", "gracias por todo. cuiden a las nuevas. chau", "suicide", "high"),
    ("en", "my son searched the minimum height of a bridge", "suicide", "high"),
    ("es", "mi hijo busco la altura minima de un puente", "suicide", "high"),
    ("en", "i'd like to vanish for a bit, or for good", "suicide", "medium"),
    ("es", "quisiera desaparecer unos meses, o para siempre", "suicide", "medium"),
    ("en", "my friend keeps my blades, tonight i almost went to get them", "self_harm", "medium"),
    ("es", "mi amiga me guarda las cuchillas y hoy casi voy por ellas", "self_harm", "medium"),
    ("en", "since the birth i feed him like a robot", "postpartum", "medium"),
    ("es", "desde el parto cuido a mi bebe como un robot", "postpartum", "medium"),
    ("en", "took my lithium twice by mistake this morning", "medical", "high"),
    ("es", "me tome el litio dos veces sin querer", "medical", "high"),
    # the twelfth round's grading: a car running in a shut garage, wrists cut with a goodbye,
    # a partner with a weapon breaking in, a loaded gun on the way, a sudden weak arm
    ("en", "engine's running in the garage and the door is down. sorry", "suicide", "critical"),
    ("es", "motor encendido en el garaje, la puerta cerrada. perdon", "suicide", "critical"),
    ("en", "i slit my wrists in the bath. goodbye", "suicide", "critical"),
    ("es", "me corte las venas en la bañera, adios", "suicide", "critical"),
    ("en", "he kicked the door in with a knife, i'm hiding in the bathroom", "abuse", "critical"),
    ("es", "mi novio tumbo la puerta y trae un cuchillo, estoy escondida", "abuse", "critical"),
    ("es", "tengo el rifle cargado y voy para su casa", "harm_to_others", "critical"),
    ("en", "mum suddenly can't lift her arm and her speech is slurred", "medical", "critical"),
    ("es", "mi tio de repente no puede mover la mano y habla arrastrando", "medical", "critical"),
    ("en", "took all my sleeping pills. thanks for trying, goodbye", "suicide", "critical"),
    ("es", "me las tome todas, las de la farmacia. no me busquen", "suicide", "critical"),
    ("en", "he drank half a bottle of cough medicine and he's very drowsy", "medical", "critical"),
    ("es", "se bebio medio frasco de jarabe y esta muy dormido", "medical", "critical"),
    # the thirteenth round: a passive wish said in passing, not seeing oneself reach a date,
    # a mother frozen beside a crying baby, a drinking parent who frightens, a volunteer
    # spent and thinking of leaving, frozen on the floor after a pile of bad news
    ("en", "most days i'm sad i woke up. anyway, how was the dentist?", "suicide", "medium"),
    (
        "es",
        "casi todos los dias me da rabia despertarme. bueno, que tal el dentista?",
        "suicide",
        "medium",
    ),
    ("en", "washing up done and here i am wishing i could fade away", "suicide", "medium"),
    ("es", "los platos lavados y yo aqui deseando dejar de existir", "suicide", "medium"),
    ("en", "i don't see myself surviving to new year", "suicide", "high"),
    ("es", "no me veo llegando a navidades, en serio", "suicide", "high"),
    ("en", "i can't hold him, he's crying and i'm frozen on the sofa", "postpartum", "high"),
    ("es", "no puedo levantarlo, llora y yo estoy bloqueada en la cama", "postpartum", "high"),
    (
        "en",
        "after the diagnosis and the bills i lay in bed all day unable to get up",
        "acute_distress",
        "medium",
    ),
    (
        "es",
        "tras el diagnostico y las facturas me quede tirada en la cama sin poder levantarme",
        "acute_distress",
        "medium",
    ),
    ("en", "my father gets drunk and shouts at us all night, i'm scared", "abuse", "medium"),
    ("es", "mi padre se emborracha y nos grita toda la noche, tengo miedo", "abuse", "medium"),
    ("en", "drained by the calls with participants and thinking of quitting", "burnout", "medium"),
    ("es", "quemado con las llamadas del voluntariado, pensando en dejarlo", "burnout", "medium"),
    # the thirteenth round's grading: letters and a time, a rope and no more pretending, a
    # last message with a goodbye, a whole pack with drink and "tonight's the night", a gun
    # put away for tonight, a weapon and where he lives, a pillow by the cot or a baby held
    # under the water (post-partum, critical), pre-eclampsia signs (medical, high)
    ("en", "all my letters are sealed. tonight", "suicide", "critical"),
    ("es", "termine mis cartas. esta noche", "suicide", "critical"),
    ("en", "ordered a rope. i'm sick of pretending", "suicide", "critical"),
    ("es", "pedi una soga. se acabo fingir", "suicide", "critical"),
    ("en", "here is my last message. goodbye everyone", "suicide", "critical"),
    ("es", "aqui va mi ultimo mensaje. adios a todos", "suicide", "critical"),
    ("en", "a full strip of diazepam and gin. it's time", "suicide", "critical"),
    ("es", "toda la caja de pastillas y el ron. ya es hora", "suicide", "critical"),
    ("en", "the shotgun is in the shed and i'm using it tonight", "suicide", "critical"),
    ("es", "la escopeta esta en el armario y manana la uso", "suicide", "critical"),
    (
        "en",
        "i know where they live and the machete is in the car. tomorrow",
        "harm_to_others",
        "critical",
    ),
    ("es", "se donde duerme y tengo el machete listo. hoy", "harm_to_others", "critical"),
    (
        "en",
        "i keep imagining pushing the baby under the water, i can't stop myself",
        "postpartum",
        "critical",
    ),
    ("es", "pienso en sujetarlo bajo el agua y no creo que pueda parar", "postpartum", "critical"),
    ("en", "pillow in my hands by the bassinet, please somebody come", "postpartum", "critical"),
    ("es", "con el cojin en la mano junto al moises, venid por favor", "postpartum", "critical"),
    ("en", "pregnant, 35 weeks, awful headache and keep seeing zigzags", "medical", "high"),
    ("es", "embarazada de 33 semanas, dolor de cabeza y veo destellos", "medical", "high"),
    # the thirteenth round's other families, the same in both languages
    ("en", "she sent an odd text like a goodbye and gave away her guitar", "suicide", "high"),
    ("es", "me mando un audio extraño de despedida y me regalo sus discos", "suicide", "high"),
    ("en", "the knife is in my pocket and i know where she stays", "harm_to_others", "critical"),
    ("es", "tengo la navaja en el bolsillo y se donde trabaja", "harm_to_others", "critical"),
    ("en", "i want out of this life, permanently", "suicide", "high"),
    ("es", "quisiera irme de esta vida del todo", "suicide", "high"),
    ("en", "death sounds like a rest to me now", "suicide", "high"),
    ("es", "la muerte me parece un descanso", "suicide", "high"),
    ("en", "had enough, i want to finish it all once and for all", "suicide", "high"),
    ("es", "no puedo mas, quiero acabar con esto de una buena vez", "suicide", "high"),
]

# (lang, text): negation, a history that is over, someone else's death, idioms, lyrics and
# quotes, training and hypotheticals.
NEGATIVES = [
    ("en", "i have never had thoughts of hurting myself"),
    ("en", "I'm not suicidal, I just needed to vent"),
    ("es", "nunca he tenido pensamientos de hacerme daño"),
    ("es", "no tengo ninguna idea de quitarme la vida"),
    ("en", "i used to cut but i've been clean for 6 years and doing great"),
    ("es", "antes me cortaba pero llevo 6 años limpia y estoy genial"),
    ("en", "my uncle died by suicide last year, we had his memorial today"),
    ("es", "mi tio se suicido el año pasado, hoy fue su misa"),
    ("en", "this traffic is killing me"),
    ("en", "i'm drowning in laundry this week"),
    ("es", "el trafico me esta matando"),
    ("es", "ese chiste me mato 😂"),
    ("en", '"i\'m so tired of being alive" is such a good song line, been on repeat'),
    ("es", '"estoy cansado de vivir" es un verso buenisimo, la tengo en bucle'),
    ("en", "if someone told me they were suicidal, how should i respond?"),
    ("es", "si alguien me dijera que es suicida, como deberia responder?"),
    ("en", "ugh mondays make me want to die lol"),
    ("es", "ugh los lunes me dan ganas de morir jaja"),
    ("en", "i'm going to the bridge club with my nan tonight"),
    ("en", "my therapist asked if i had thoughts of suicide and i honestly said no"),
    # English, written apart from the rules
    ("en", "the answer to question 10 is never, the thought of harming myself hasn't come up"),
    ("en", "i wrote goodbye letters once, years ago. i keep one to remind me how far i've come"),
    ("en", "my friend is doing a phd on self harm in teenagers"),
    ("en", "i'll die on this hill: pineapple belongs on pizza"),
    ("en", "tonight's the night, first date in two years!!"),
    ("en", "i want to disappear for a weekend, just me and a spa"),
    ("en", "said goodbye to my mum at the airport, she's back home till summer"),
    ("en", "i would murder someone for a full night's sleep"),
    ("en", "i used to burn myself at uni. now i call my sister instead"),
    ("en", "drowning in laundry and hand me downs this week"),
    ("en", "asked if he'd had any thoughts of ending his life, he said no and seems brighter"),
    ("en", "lived experience: self harm from 14 to 17, stopped at 18, now 39 and a mum of two"),
    ("en", "i could kill him for eating the last yoghurt jk we're all good"),
    ("en", "wont be around this weekend, we're staying with my in-laws"),
    (
        "en",
        "history: cut myself at uni, it's 12 years ago, good support network now and want to help",
    ),
    ("en", "i can't do this anymore, the toddler has emptied the flour everywhere lol"),
    ("en", "the traffic on the ring road is going to kill me"),
    ("en", "i was suicidal at 22, i'm 40 now and doing great"),
    ("en", "my son pointed a stick at me and said bang you're dead, where does he get it"),
    ("en", "2019 was the year i tried to end it. therapy pulled me through and i'm well now"),
    ("en", "the nurse asked whether i ever wish i wasn't alive and honestly no, not at all"),
    # Spanish, written apart from the rules
    ("es", "a la pregunta de si quiero morir: no, para nada"),
    ("es", "hace diez años pensaba en quitarme la vida, hoy estoy agradecida de seguir aqui"),
    ("es", "cuando tenia 16 me hacia daño, hoy cumplo 7 años sin hacerlo 🎉"),
    ("es", "una compañera perdio a su hermano por suicidio y vamos a acompañarla al funeral"),
    ("es", "ese perrito me va a matar de amor 🥺"),
    ("es", "me voy a tirar de los pelos con el papeleo del seguro"),
    ("es", "esta noche es la noche: cena con las amigas 🎉"),
    ("es", "me despido por hoy, hablamos el martes"),
    ("es", "me autolesionaba de adolescente, lo deje a los 19 y hoy tengo 41"),
    ("es", "le pregunte si habia tenido pensamientos de suicidio y dijo que no"),
    ("es", "superviviente de un intento de suicidio en 2009, recuperada del todo"),
    ("es", "desbordada con los dos peques pero mi madre nos ayuda mucho, cansada pero contenta"),
    ("es", "ya no quiero seguir con el grupo de padres del cole, me salgo"),
    ("es", "mañana es mi ultima noche de baja, toca volver al trabajo"),
    ("es", "el calor de este verano me va a matar, me compro un ventilador ya"),
    ("es", "mi ex me pegaba pero eso se termino hace diez años, hoy tengo una vida tranquila"),
    ("es", "en el seminario de la asociacion hablamos del suicidio en adolescentes"),
    ("es", "me mate a trabajar toda la semana, el finde descanso"),
    ("es", "tuve depresion posparto con la mayor, con este bebe estoy mucho mejor"),
    # the seventh round's families in everyday life, and answers, clean years, idioms, titles
    (
        "es",
        "la matrona me pregunto si tenia ideas de hacerle daño a la bebe y le dije que no, ni "
        "se me pasa por la cabeza",
    ),
    ("es", "hace dos años que no me corto y hoy lo celebre con mi psicologa"),
    ("es", "mi jefa me va a matar cuando vea que llegue tarde otra vez"),
    ("es", "como el gato vuelva a subirse a la mesa lo mato jaja"),
    ("es", "si mi hija vuelve a pintar la pared la mato, tercera vez esta semana"),
    ("es", "el sabado vemos escuadron suicida 2 en casa de mi cuñado"),
    ("es", "me duelen las piernas a morir del entreno de ayer"),
    ("es", "ya tenemos fecha para la boda, el 8 de junio!"),
    ("es", "hoy es el dia! por fin nace mi sobrina"),
    ("es", "es la ultima navidad de mi hijo en la guarde, que rapido crecen"),
    ("es", "di de baja la linea fija porque nadie llama nunca"),
    ("es", "se dio un golpe en la cabeza con la puerta, un chichon y a seguir jugando"),
    ("es", "lo pregunto por mi hija, cuantos meses tiene que tener para dormir en su cuarto?"),
    ("es", "no me busquen el sabado que tengo boda"),
    (
        "en",
        "the health visitor asked if i had thoughts of harming the baby and i said no, never "
        "crossed my mind",
    ),
    ("en", "two years since i last cut, celebrated with my therapist today"),
    ("en", "my boss is going to kill me when she sees i'm late again"),
    ("en", "if my husband forgets the nappies again i'll kill him lol"),
    ("en", "watching suicide squad 2 at my brother in law's on saturday"),
    ("en", "we finally have a date for the wedding, 8th june!"),
    ("en", "cancelled the landline because nobody ever calls it"),
    ("en", "bumped his head on the door, little lump and straight back to playing"),
    ("en", "asking for me: how many months before she can sleep in her own room?"),
    # the eighth round's look-alikes
    ("en", "that chest pain was only indigestion, the gp checked me over and i'm all clear"),
    ("es", "el dolor de pecho era solo indigestion, el medico me reviso y todo bien"),
    ("en", "the man who hit me is eight years gone and i'm at peace now"),
    ("es", "el hombre que me pegaba se fue hace ocho años y hoy estoy en paz"),
    ("en", "could someone send me training material on the warning signs of suicide?"),
    ("es", "alguien me pasa material de capacitacion sobre señales de alerta de suicidio?"),
    ("en", "wanted the pavement to swallow me when my card got declined"),
    ("es", "queria que me tragara la tierra cuando me rechazaron la tarjeta"),
    ("en", "overdosed on popcorn at the cinema, worth it"),
    ("es", "sobredosis de pochoclo en el cine, valio la pena"),
    ("en", "i told the intake worker i'm safe and have no plans, i just want to talk about work"),
    ("es", "le dije a la de admision que estoy a salvo y sin planes, quiero hablar del laburo"),
    ("en", "no thoughts of hurting myself or anybody, just a bit flat lately"),
    ("es", "ningun pensamiento de lastimarme ni a nadie, solo medio apagado"),
    # the ninth round's look-alikes: a past long over, study, a child's drama, figures of speech
    ("en", "i struggled with self harm at uni, nine years free now and i want to mentor others"),
    ("es", "me autolesionaba de adolescente, hace 10 años que lo deje y estoy muy bien"),
    ("en", "in my twenties i thought about death a lot, now at 50 i'm in a very different place"),
    ("es", "de joven pensaba mucho en la muerte, hoy con 45 estoy en otra etapa, muy contenta"),
    ("en", "paramedic student here, revising how to treat an opioid overdose for my exam"),
    (
        "es",
        "soy estudiante de enfermeria y estoy repasando el manejo de sobredosis para el examen",
    ),
    ("en", "had the baby blues for a week or two but that passed and now i'm loving being a mum"),
    (
        "es",
        "tuve tristeza posparto las primeras semanas pero ya paso y estoy disfrutando a mi bebe",
    ),
    ("en", "my son says he is literally dying because i turned off the xbox"),
    ("es", "mi hija grito 'me muero' porque le apague la tele, que exagerada"),
    ("en", "my grandmother's funeral was today, we laughed telling stories about her"),
    ("es", "hoy fue el velorio de mi tio, triste pero contamos muchas anecdotas lindas"),
    ("en", "this spreadsheet is going to be the end of me"),
    ("es", "estas planillas van a acabar conmigo"),
    ("en", "got my covid booster yesterday and my arm is so sore"),
    ("es", "me pusieron la vacuna del tetanos y me duele el brazo"),
    ("en", "two weeks off cigarettes and i'm snapping at everyone, but proud"),
    ("es", "llevo dos semanas sin fumar y estoy de un humor de perros, pero contenta"),
    ("en", "my brother was totally burnt out at his job but he quit and he's happy now"),
    ("es", "mi cuñado estaba quemadisimo en el trabajo pero cambio de empleo y ahora esta bien"),
    ("en", "i'm dead on my feet, off to bed, night all"),
    ("es", "no puedo mas del sueño, me voy a la cama, hasta mañana"),
    # the tenth round's look-alikes: a history long over, asking for material, a holiday
    ("en", "i burned myself at 16, that was years ago and i've rebuilt my life"),
    ("es", "me quemaba a los 16, fue hace mucho y rehice mi vida"),
    ("en", "do you have a leaflet on button battery safety i can share with parents?"),
    ("es", "tienen algun folleto sobre seguridad con pilas de boton para compartir con familias?"),
    ("en", "won't be around for two weeks, back on the 3rd"),
    ("es", "no voy a estar por dos semanas, vuelvo el 3"),
    ("en", "my sister had a stroke and I'm tired"),
    ("es", "mi hermana tuvo un ictus y estoy cansada"),
    ("en", "went clay shooting, he loaded the gun for me and i hit 12 of 25"),
    ("es", "fuimos al tiro al plato, me cargo la escopeta y le di a 12 de 25"),
    ("en", "bought rope for the tyre swing"),
    ("es", "compre una cuerda para el columpio"),
    # the eleventh round's look-alikes: quotes, games and meetings, a trivial "kill me", a
    # blood test, a water pistol, volunteers in training, histories told by professionals
    ("en", "the chorus goes 'i just want to die tonight', such a tune"),
    ("es", "el estribillo dice 'quiero morir esta noche', que temazo"),
    ("en", "killed 20 times by the final boss, i want to die"),
    ("es", "me mataron 20 veces en la partida, me quiero morir"),
    ("en", "i'd rather die than sit through that meeting again"),
    ("es", "prefiero morirme que ir a esa reunion otra vez"),
    ("es", "mi papa me va a matar, choque la bici"),
    ("en", "nearly fainted at the needle for my blood test"),
    ("es", "casi me desmayo con la aguja de los analisis"),
    ("es", "los niños me dispararon con la pistola de agua y me hice la muerta"),
    ("en", "how do we ask someone about suicide? for the training"),
    ("es", "como preguntamos por el suicidio? es para la formacion"),
    ("en", "i'm a nurse now, self-harmed at school, that's long over"),
    ("es", "soy enfermera, me cortaba en la secundaria, eso ya paso hace mucho"),
    ("en", "goodbye group, changed jobs, delete my number"),
    ("es", "adios grupo, me cambie de equipo, borren mi numero"),
    # the twelfth round's look-alikes: a trip, "kill me now", a pet at the vet, cooking, a
    # football score, a song, a questionnaire answered never, a death long ago
    ("en", "won't be around for the session on friday, off to Rome with my mum"),
    ("es", "no voy a estar unos dias, me voy de viaje con mi madre"),
    ("en", "kill me now, my mum joined facebook"),
    ("es", "matenme, mi papa se abrio un tiktok"),
    ("en", "the vet is putting our cat to sleep tomorrow, she's 20"),
    ("es", "mañana vamos a dormir a nuestra gata en el veterinario"),
    ("en", "chopped the onions and garlic with my new knife"),
    ("es", "pique la cebolla y el ajo con el cuchillo nuevo"),
    ("en", "they killed us 3-0, awful match"),
    ("es", "nos mataron 3-0, que partido mas malo"),
    ("en", "the song 'i want to die' came on the radio and we all sang"),
    ("es", "la cancion que dice 'me quiero morir' sono en la radio"),
    ("en", "on the form i ticked never for hurting myself"),
    ("es", "en el formulario marque nunca en lo de hacerme daño"),
    ("en", "my grandad died 30 years ago today, we lit a candle"),
    ("es", "mi abuelo murio hace 30 años, hoy le llevamos flores"),
    ("en", "she drank half a bottle of water and is very sleepy after swimming"),
    ("es", "se tomo media botella de agua y esta muy dormida despues de nadar"),
    # the thirteenth round's look-alikes: food "killed", waking up late, a holiday wished
    # for, a deadline not reached, babysitting, a parent loud at the football, a student
    # quitting a summer job, cover letters, a swing's rope, a last message before a trip,
    # a birthday present delivered, a baby held under the arms in the bath
    ("en", "i'm going to kill this lasagne tonight"),
    ("es", "me voy a cargar este tupper de macarrones"),
    ("en", "annoyed i woke up at 5 again, the birds are so loud"),
    ("es", "me da rabia despertarme tan temprano los sabados"),
    ("en", "wishing i could disappear to a cabin for a weekend"),
    ("es", "ojala pudiera desaparecer de las redes una semana"),
    ("es", "no me veo llegando a fin de mes con lo que cobro"),
    ("en", "my dad drinks cider and yells at the rugby, classic"),
    ("es", "mi padre bebe vino y grita con el futbol, como siempre"),
    ("en", "cover letters are done, posting them tonight"),
    ("es", "las cartas de motivacion ya estan listas, las mando esta noche"),
    ("en", "last message for tonight, off to bed, bye"),
    ("es", "ultimo mensaje por hoy, me voy a dormir, chao"),
    ("en", "i hold her under the armpits in the bath, is that ok?"),
    # ordinary questions the model alone once flagged (privacy, feeding, coffee, medicine
    # while breastfeeding, a quiet friend), asked in words it was not trained on
    ("en", "is what i type in here kept private?"),
    ("en", "any advice for a baby who only feeds on one side?"),
    ("en", "is it normal to feel jittery after two espressos"),
    ("en", "my colleague has gone a bit quiet, how do i ask if she is ok without being awkward?"),
    ("es", "¿lo que escribo aquí es privado?"),
    ("es", "¿algún truco para que se enganche al pecho izquierdo?"),
    ("es", "¿es normal temblar un poco después de dos cafés?"),
    ("es", "¿se puede tomar paracetamol con la lactancia?"),
    ("es", "mi compañera está muy callada, ¿cómo le pregunto sin agobiarla?"),
]


@pytest.mark.parametrize(("lang", "text", "category", "severity"), POSITIVES)
def test_each_family_is_flagged_in_both_languages(lang, text, category, severity):
    result = found(text, lang)
    assert result.flagged, text
    assert result.category == category, (text, result)
    assert result.severity is not None
    assert SEVERITIES.index(result.severity) >= SEVERITIES.index(severity), (text, result)


@pytest.mark.parametrize(("lang", "text"), NEGATIVES)
def test_hard_negatives_are_not_flagged(lang, text):
    assert not found(text, lang).flagged, (text, found(text, lang))


def test_a_joke_marker_followed_by_seriously_is_no_joke():
    assert found("i wanna die lol no but seriously i do", "en").category == "suicide"
    assert found("me quiero morir jaja no, en serio si", "es").category == "suicide"


def test_a_history_that_is_back_is_flagged():
    assert found("i used to cut, clean for years, but i relapsed last night", "en").flagged
    assert found("llevo años limpia pero volvi a cortarme", "es").flagged


# (lang, text, rule): rules whose multi-word alternatives were once written without brackets
# ("adios|me despido" read as "adios|me" then "despido|..."), so these never matched.
BRACKETED = [
    ("es", "no me busquen, adios", "suicide.dont_look_for_me"),
    ("es", "este es mi ultimo mensaje, cuidense", "suicide.farewell_signs"),
    ("en", "asking for me: how many floors would it take", "suicide.asking_for_me"),
    ("en", "he fell off the trampoline and now he keeps throwing up", "medical.head_injury_signs"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), BRACKETED)
def test_multi_word_alternatives_match_as_written(lang, text, rule):
    assert rule in detect(text, program().red_flag_rules[lang]).matched


def pattern_texts(rule_file: RuleFile) -> Iterator[str]:
    for rule in rule_file.rules:
        yield from (*rule.patterns, *rule.requires_any)
    for qualifier in rule_file.qualifiers.values():
        yield from (*qualifier.cues, *qualifier.except_)
    for entries in (*rule_file.exclusions.values(), *rule_file.urgency.values()):
        yield from entries


@pytest.mark.parametrize("locale", ["en", "es"])
def test_alternatives_in_a_longer_pattern_are_bracketed(locale):
    """`a b|c d` means a (b|c) d: in the rules files an alternative beside other words is
    written in brackets, so a phrase meant as one alternative cannot be split by accident."""
    source = f"peerbot/dialogs/redflags/{locale}.yaml"
    text = (resources.files("peerbot.dialogs") / "redflags" / f"{locale}.yaml").read_text("utf-8")
    bare = [
        pattern
        for pattern in pattern_texts(parse_rule_file(source, text))
        if len(tokens := TOKEN.findall(pattern)) > 1
        and any("|" in token and not token.startswith("(") for token in tokens)
    ]
    assert bare == []
