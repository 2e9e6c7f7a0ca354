<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\ConfigTarget;
use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\Url;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConnectionFields;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Step 1: the connection to Entra ID, "Save and Test Configuration", Next.
 *
 * The titles of the elements are ConnectionFields::TITLES, which also name
 * these fields (and link to them) on the overview and the status report.
 */
final class ConnectionForm extends WizardFormBase {

  protected PostResponseProcessor $postResponse;

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    $form = parent::create($container);
    $form->postResponse = $container->get('entra_provisioning.post_response_processor');

    return $form;
  }

  /**
   * {@inheritdoc}
   */
  public function getFormId() {
    return 'entra_provisioning_connection';
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   *
   * @return array<string, mixed>
   */
  public function buildForm(array $form, FormStateInterface $form_state) {
    $facts = $this->libraryFacts();
    $form['intro'] = [
      '#markup' => '<p>' . $this->t('Register an application in Entra ID (App registrations), add the <em>application</em> permission <strong>@write</strong> to Microsoft Graph (Drupal → Entra ID; <strong>@read</strong> is enough for an import-only set-up), grant admin consent, and create a client secret or upload a certificate (Certificates & secrets; Microsoft recommends the certificate). Then enter its values here.', [
        '@write' => $facts?->permission(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA) ?? '?',
        '@read' => $facts?->permission(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL) ?? '?',
      ]) . '</p>',
    ];
    $form['tenant_id'] = [
      '#type' => 'textfield',
      '#title' => $this->t(ConnectionFields::TITLES['tenant_id']),
      '#description' => $this->t('Directory (tenant) ID, a GUID, or a verified domain of the tenant.'),
      '#config_target' => self::target('connection.tenant_id'),
      '#required' => TRUE,
      '#maxlength' => 253,
    ];
    $form['client_id'] = [
      '#type' => 'textfield',
      '#title' => $this->t(ConnectionFields::TITLES['client_id']),
      '#config_target' => self::target('connection.client_id'),
      '#required' => TRUE,
      '#maxlength' => 36,
    ];

    $form['credential_type'] = [
      '#type' => 'radios',
      '#title' => $this->t(ConnectionFields::TITLES['credential_type']),
      '#options' => [
        ModuleSettings::CREDENTIAL_SECRET => $this->t('Client secret'),
        ModuleSettings::CREDENTIAL_CERTIFICATE => $this->t('Certificate'),
      ],
      '#description' => $this->t('How Drupal proves it is the application. A certificate (a client assertion signed with its private key) is the credential Microsoft recommends; a client secret is simpler to set up.'),
      '#config_target' => self::target('connection.credential_type'),
    ];
    $form['secret_credential'] = [
      '#type' => 'container',
      '#states' => ['visible' => [':input[name="credential_type"]' => ['value' => ModuleSettings::CREDENTIAL_SECRET]]],
    ];
    $secret = $this->clients->resolveSecret(ResolvedSecret::CLIENT_SECRET);
    $form['secret_credential']['client_secret'] = [
      '#type' => 'password',
      '#title' => $this->t(ConnectionFields::TITLES['client_secret']),
      '#description' => $this->t('Leave empty to keep the current secret. The secret is stored in State, never in exported configuration, and is never shown again. Current source: %source.', ['%source' => $secret->describe()]),
      '#attributes' => ['autocomplete' => 'new-password'],
      '#maxlength' => 1024,
    ];
    if ($secret->source === ResolvedSecret::SOURCE_SETTINGS) {
      $form['secret_credential']['client_secret']['#disabled'] = TRUE;
      $form['secret_credential']['client_secret']['#description'] = $this->t("The secret comes from settings.php (\$settings['entra_provisioning']['client_secret']) and cannot be changed here.");
    }
    if ($this->keys->isAvailable()) {
      $form['secret_credential']['secret_key_id'] = [
        '#type' => 'key_select',
        '#key_filters' => ['type' => ClientFactory::SECRET_KEY_TYPES[0]],
        '#title' => $this->t('Client secret from the Key module'),
        '#description' => $this->t('Optional. When a key is chosen, its value is used instead of the secret above; only the key id is stored in configuration.'),
        '#empty_option' => $this->t('- None: use the secret entered above -'),
        '#empty_value' => '',
        '#config_target' => self::target('connection.secret_key_id'),
      ];
    }

    $form['certificate_credential'] = [
      '#type' => 'container',
      '#states' => ['visible' => [':input[name="credential_type"]' => ['value' => ModuleSettings::CREDENTIAL_CERTIFICATE]]],
    ];
    // Null while the library cannot be loaded: the form then shows no details.
    $certificate = $this->clients->checkCertificate($this->clients->settings()->certificatePem())['certificate'] ?? NULL;
    $description = $this->t('The public certificate uploaded to the app registration (Certificates & secrets > Certificates), from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. It is not secret and is stored in configuration.');
    if ($certificate !== NULL) {
      $description = $this->t('The public certificate uploaded to the app registration (Certificates & secrets > Certificates), from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. It is not secret and is stored in configuration. Current certificate: thumbprint %thumbprint (compare it with the app registration), subject %subject, expires @expires.', [
        '%thumbprint' => $certificate['thumbprint'],
        '%subject' => $certificate['subject'],
        '@expires' => gmdate('Y-m-d', $certificate['not_after']),
      ]);
    }
    $form['certificate_credential']['certificate_pem'] = [
      '#type' => 'textarea',
      '#title' => $this->t(ConnectionFields::TITLES['certificate_pem']),
      '#description' => $description,
      '#rows' => 6,
      '#attributes' => ['spellcheck' => 'false'],
      '#config_target' => self::target('connection.certificate_pem'),
    ];
    $key = $this->clients->resolveSecret(ResolvedSecret::PRIVATE_KEY);
    $form['certificate_credential']['private_key_pem'] = [
      '#type' => 'textarea',
      '#title' => $this->t(ConnectionFields::TITLES['private_key_pem']),
      '#description' => $this->t('Leave empty to keep the current key. The unencrypted RSA private key of the certificate (-----BEGIN PRIVATE KEY-----). It is stored in State, never in exported configuration, and is never shown again; settings.php or the Key module are safer places for it. Current source: %source.', ['%source' => $key->describe()]),
      '#rows' => 6,
      '#default_value' => '',
      '#attributes' => ['autocomplete' => 'off', 'spellcheck' => 'false'],
      // The typed key is never rendered back, not even after a validation error.
      '#after_build' => ['::clearPrivateKeyValue'],
    ];
    if ($key->source === ResolvedSecret::SOURCE_SETTINGS) {
      $form['certificate_credential']['private_key_pem']['#disabled'] = TRUE;
      $form['certificate_credential']['private_key_pem']['#description'] = $this->t("The private key comes from settings.php (\$settings['entra_provisioning']['private_key_pem']) and cannot be changed here.");
    }
    if ($this->keys->isAvailable()) {
      $form['certificate_credential']['private_key_key_id'] = [
        '#type' => 'key_select',
        '#key_filters' => ['type' => ClientFactory::SECRET_KEY_TYPES[0]],
        '#title' => $this->t('Private key from the Key module'),
        '#description' => $this->t('Optional. When a key is chosen, its value (the PEM private key) is used instead of the key above; only the key id is stored in configuration.'),
        '#empty_option' => $this->t('- None: use the private key entered above -'),
        '#empty_value' => '',
        '#config_target' => self::target('connection.private_key_key_id'),
      ];
    }

    $form['primary_domain'] = [
      '#type' => 'textfield',
      '#title' => $this->t(ConnectionFields::TITLES['primary_domain']),
      '#description' => $this->t('A domain verified in the tenant, used for new userPrincipalNames, e.g. contoso.onmicrosoft.com.'),
      '#config_target' => self::target('connection.primary_domain'),
      '#required' => TRUE,
      '#maxlength' => 253,
    ];
    $form['test_upn'] = [
      '#type' => 'textfield',
      '#title' => $this->t(ConnectionFields::TITLES['test_upn']),
      '#description' => $this->t('An existing Entra ID user (UPN or object id) read by the connection test.'),
      '#config_target' => self::target('connection.test_upn'),
      '#maxlength' => 256,
    ];
    $form['cloud'] = [
      '#type' => 'select',
      '#title' => $this->t(ConnectionFields::TITLES['cloud']),
      '#options' => $this->cloudOptions($facts),
      '#config_target' => self::target('connection.cloud'),
    ];
    $form['advanced'] = [
      '#type' => 'details',
      '#title' => $this->t('Advanced'),
      '#open' => FALSE,
    ];
    $endpoints = $this->clients->endpointOverrides();
    $form['advanced']['endpoints'] = [
      '#type' => 'item',
      '#title' => $this->t('Endpoints'),
      '#markup' => $endpoints === []
        ? $this->t("The chosen cloud's login and Graph endpoints. An override (the Graph emulator of a demo site, a proxy) can only be set in settings.php: \$settings['entra_provisioning']['login_endpoint'] and ['graph_endpoint'], so that no one with access to this form can send the credential elsewhere.")
        : $this->t('Overridden in settings.php: @endpoints.', ['@endpoints' => implode(', ', array_map(static fn (string $k, string $v): string => $k . ' = ' . $v, array_keys($endpoints), $endpoints))]),
    ];
    $form['advanced']['timeout_ms'] = $this->libraryNumber($facts, 'timeout_ms', ConnectionFields::TITLES['timeout_ms']);
    $form['advanced']['max_retries'] = $this->libraryNumber($facts, 'max_retries', ConnectionFields::TITLES['max_retries']);
    $form['advanced']['max_concurrency'] = $this->libraryNumber($facts, 'max_concurrency', ConnectionFields::TITLES['max_concurrency']);

    $form = parent::buildForm($form, $form_state);
    unset($form['actions']['submit']);
    $form['actions']['save_test'] = [
      '#type' => 'submit',
      '#value' => $this->t('Save and Test Configuration'),
      '#button_type' => 'primary',
      '#submit' => ['::submitForm', '::testConnection'],
    ];
    $form['actions']['next'] = [
      '#type' => 'submit',
      '#value' => $this->t('Next'),
      '#submit' => ['::submitForm', '::goNext'],
    ];

    return $form;
  }

  /**
   * #after_build: the typed private key stays in the form state values for
   * the submit handler, but is never rendered back into the page.
   *
   * @param array<string, mixed> $element
   *
   * @return array<string, mixed>
   */
  public function clearPrivateKeyValue(array $element, FormStateInterface $form_state): array {
    $element['#value'] = '';

    return $element;
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   */
  public function validateForm(array &$form, FormStateInterface $form_state) {
    parent::validateForm($form, $form_state);
    if ($form_state->getValue('credential_type') !== ModuleSettings::CREDENTIAL_CERTIFICATE) {
      return;
    }
    // The library's check, an early and field-specific version of the one
    // it makes again on Save and Test; an empty field is "not entered
    // yet" to it, and the key is checked against the certificate typed
    // here. Its messages never quote the key. Without the library (null)
    // there is no early check.
    $report = $this->clients->checkCertificate((string) $form_state->getValue('certificate_pem'), (string) $form_state->getValue('private_key_pem'));
    foreach ($report['problems'] ?? [] as $problem) {
      $form_state->setErrorByName(ConnectionFields::ELEMENTS[$problem['field']] ?? 'certificate_pem', $problem['message']);
    }
    $this->labelErrors($form, $form_state);
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   */
  public function submitForm(array &$form, FormStateInterface $form_state) {
    parent::submitForm($form, $form_state);
    $secret = (string) $form_state->getValue('client_secret');
    $key = (string) $form_state->getValue('private_key_pem');
    // Never keep the typed secrets in the form state any longer than needed.
    $form_state->setValue('client_secret', '');
    $form_state->setValue('private_key_pem', '');
    if ($secret !== '' && !$this->clients->secretFromSettings(ResolvedSecret::CLIENT_SECRET)) {
      $this->clients->storeSecret($secret, ResolvedSecret::CLIENT_SECRET);
    }
    if (trim($key) !== '' && !$this->clients->secretFromSettings(ResolvedSecret::PRIVATE_KEY)) {
      // Browsers send textarea lines with CRLF; store plain PEM.
      $this->clients->storeSecret(str_replace("\r\n", "\n", trim($key)) . "\n", ResolvedSecret::PRIVATE_KEY);
    }
    unset($secret, $key);
    $this->clients->reset();
    $this->warnOnMismatchedKey();
  }

  /**
   * After saving: a key from settings.php, Key or State that does not
   * belong to the configured certificate can never sign in; say so now.
   */
  private function warnOnMismatchedKey(): void {
    $settings = $this->clients->settings();
    if (!$settings->usesCertificate() || $settings->certificatePem() === '') {
      return;
    }
    $key = $this->clients->resolveSecret(ResolvedSecret::PRIVATE_KEY);
    if (!$key->hasValue()) {
      return;
    }
    $report = $this->clients->checkCertificate($settings->certificatePem(), (string) $key->value());
    foreach ($report['problems'] ?? [] as $problem) {
      // The certificate's own problems were shown by the validation.
      if ($problem['field'] === 'client_certificate.private_key_pem') {
        $this->messenger()->addWarning($this->t('The private key from @source cannot be used: @problem', ['@source' => $key->describe(), '@problem' => $problem['message']]));
      }
    }
  }

  /**
   * Submit handler: runs the connection test and reports the outcome.
   *
   * @param array<string, mixed> $form
   */
  public function testConnection(array &$form, FormStateInterface $form_state): void {
    $record = $this->provisioner->testConnection();
    $url = Url::fromRoute('entra_provisioning.test_result')->toString();
    $missing = is_array($record['missing_permissions'] ?? NULL) ? $record['missing_permissions'] : [];
    if (!empty($record['ok']) && $missing !== []) {
      $this->messenger()->addWarning($this->t('Connected and read %upn, but the application lacks the Microsoft Graph application permission @missing that the chosen directions (@directions) need. Add it in Entra ID > App registrations > API permissions, grant admin consent, and test again. See the <a href=":url">attributes received</a>.', [
        '%upn' => (string) $record['upn'],
        '@missing' => implode(', ', $missing),
        '@directions' => implode(', ', is_array($record['directions'] ?? NULL) ? $record['directions'] : []),
        ':url' => $url,
      ]));
    }
    elseif (!empty($record['ok'])) {
      // A suspension, if any, is lifted: the waiting items run right
      // after this response instead of at the next probe.
      $this->postResponse->requestRun();
      $this->messenger()->addStatus($this->t('Connection works: read %upn (request-id @request_id). See the <a href=":url">attributes received</a>.', [
        '%upn' => (string) $record['upn'],
        '@request_id' => (string) ($record['request_id'] ?? '-'),
        ':url' => $url,
      ]));
    }
    else {
      $this->messenger()->addError($this->t('Connection test failed. @summary See the <a href=":url">Test Configuration Result</a>.', [
        '@summary' => $this->formatter->summary(is_array($record['error'] ?? NULL) ? $record['error'] : []),
        ':url' => $url,
      ]));
    }
  }

  /**
   * Submit handler: continues with step 2.
   *
   * @param array<string, mixed> $form
   */
  public function goNext(array &$form, FormStateInterface $form_state): void {
    $form_state->setRedirect('entra_provisioning.direction');
  }

  /**
   * The clouds the library knows, labelled with their hosts.
   *
   * @return array<string, \Drupal\Core\StringTranslation\TranslatableMarkup|string>
   */
  private function cloudOptions(?LibraryFacts $facts): array {
    $options = [];
    foreach ($facts?->clouds() ?? [] as $name => $cloud) {
      $options[$name] = $this->t('@label (@login, @graph)', [
        '@label' => $cloud['label'],
        '@login' => (string) parse_url($cloud['login_endpoint'], PHP_URL_HOST),
        '@graph' => (string) parse_url($cloud['graph_endpoint'], PHP_URL_HOST),
      ]);
    }
    $current = $this->clients->settings()->cloud();
    if ($current !== '' && !isset($options[$current])) {
      // Unknown to this library, or the library is unavailable: keep the
      // stored value selectable; the library reports it on Save and Test.
      $options[$current] = $current;
    }

    return $options;
  }

  /**
   * A number of the library configuration: empty means the library's
   * default (shown as the placeholder), bounded by the library's range.
   *
   * @return array<string, mixed>
   */
  private function libraryNumber(?LibraryFacts $facts, string $key, string $title): array {
    $element = [
      '#type' => 'number',
      '#title' => $this->t($title),
      '#config_target' => new ConfigTarget(ModuleSettings::CONFIG_NAME, 'advanced.' . $key, NULL, static fn ($value): ?int => $value === '' || $value === NULL ? NULL : (int) $value),
    ];
    $default = $facts?->configDefault($key);
    if (is_int($default)) {
      $element['#placeholder'] = (string) $default;
      $element['#description'] = $this->t("Empty: the library's default, @default.", ['@default' => $default]);
    }
    $range = $facts?->configRange($key);
    if ($range !== NULL) {
      [$element['#min'], $element['#max']] = $range;
    }

    return $element;
  }

}
