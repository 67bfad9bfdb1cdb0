/* Call simulator (desk): speech where the browser offers it, on top of a plain form.
 *
 * Without JavaScript the page is a form posted to the server, which redirects back to the
 * call. With htmx (loaded by desk/base.html) each post appends the new turns. This file adds:
 * the microphone (Web Speech API recognition, fr-FR) and reading the answers aloud (speech
 * synthesis), each shown only when the browser supports it; and focus after every turn.
 */
(function () {
  "use strict";

  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  var synthesis = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
  var root = document.documentElement;
  if (Recognition) root.classList.add("speech-recognition");
  if (synthesis) root.classList.add("speech-synthesis");

  var VOICE_KEY = "accueil.simulateur.voix";
  var voice = document.getElementById("voix");
  var listening = null;

  function remembered() {
    try {
      return window.localStorage.getItem(VOICE_KEY) === "1";
    } catch (error) {
      return false; // storage refused: the box starts unticked
    }
  }

  if (voice && synthesis) {
    voice.checked = remembered();
    voice.addEventListener("change", function () {
      try {
        window.localStorage.setItem(VOICE_KEY, voice.checked ? "1" : "0");
      } catch (error) {
        /* not remembered, still applied to this page */
      }
      if (!voice.checked) window.speechSynthesis.cancel();
    });
  }

  function lastTurn() {
    var turns = document.querySelectorAll("#transcript .agent[data-turn]");
    return turns.length ? Number(turns[turns.length - 1].dataset.turn) : -1;
  }

  var spoken = lastTurn();

  function speak(text) {
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "fr-FR";
    window.speechSynthesis.speak(utterance);
  }

  // After each turn: read the new answers aloud if asked, show them, and put the focus back
  // in the text box (or on the outcome once the call is over).
  document.body.addEventListener("htmx:afterSettle", function () {
    var answers = document.querySelectorAll("#transcript .agent[data-turn]");
    answers.forEach(function (answer) {
      if (Number(answer.dataset.turn) > spoken && voice && voice.checked && synthesis) {
        speak(answer.querySelector(".words").textContent);
      }
    });
    spoken = lastTurn();
    if (answers.length) answers[answers.length - 1].scrollIntoView({ block: "nearest" });
    var next = document.querySelector("#controles input[name=phrase]") ||
      document.querySelector("#controles .call-over");
    if (next) next.focus();
  });

  function status(text) {
    var line = document.getElementById("etat-micro");
    if (line) line.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.listen");
    if (!button || !Recognition) return;
    if (listening) {
      listening.stop();
      return;
    }
    var form = button.form;
    var recognition = new Recognition();
    recognition.lang = "fr-FR";
    recognition.interimResults = false;
    recognition.maxAlternatives = 1;
    recognition.onresult = function (result) {
      var text = result.results[0][0].transcript;
      form.elements.phrase.value = text;
      status("Entendu : « " + text + " »");
      form.requestSubmit();
    };
    recognition.onerror = function (error) {
      status(
        error.error === "not-allowed" || error.error === "service-not-allowed"
          ? "Le micro n'est pas autorisé dans ce navigateur : tapez la phrase."
          : "Je n'ai rien entendu. Réessayez, ou tapez la phrase."
      );
    };
    recognition.onend = function () {
      listening = null;
      button.setAttribute("aria-pressed", "false");
    };
    if (synthesis) window.speechSynthesis.cancel(); // the microphone must not hear the agent
    recognition.start();
    listening = recognition;
    button.setAttribute("aria-pressed", "true");
    status("J'écoute… parlez, puis attendez la réponse.");
  });
})();
