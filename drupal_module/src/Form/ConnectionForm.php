<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\Url;
use Drupal\entra_provisioning\Provisioning\ResolvedSecret;

/**
 * Step 1: the connection to Entra ID, "Save and Test Configuration", Next.
 */
final class ConnectionForm extends WizardFormBase
{
    /**
     * {@inheritdoc}
     */
    public function getFormId()
    {
        return 'entra_provisioning_connection';
    }

    /**
     * {@inheritdoc}
     *
     * @param array<string, mixed> $form
     *
     * @return array<string, mixed>
     */
    public function buildForm(array $form, FormStateInterface $form_state)
    {
        $form['intro'] = [
            '#markup' => '<p>' . $this->t('Register an application in Entra ID (App registrations), add the <em>application</em> permission <strong>User.ReadWrite.All</strong> to Microsoft Graph (Drupal → Entra ID; <strong>User.Read.All</strong> is enough for an import-only set-up), grant admin consent, and create a client secret. Then enter its values here.') . '</p>',
        ];
        $form['tenant_id'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Tenant ID'),
            '#description' => $this->t('Directory (tenant) ID, a GUID, or a verified domain of the tenant.'),
            '#config_target' => self::target('connection.tenant_id'),
            '#required' => true,
            '#maxlength' => 253,
        ];
        $form['client_id'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Application (client) ID'),
            '#config_target' => self::target('connection.client_id'),
            '#required' => true,
            '#maxlength' => 36,
        ];

        $secret = $this->clients->resolveSecret();
        $form['client_secret'] = [
            '#type' => 'password',
            '#title' => $this->t('Client secret'),
            '#description' => $this->t('Leave empty to keep the current secret. The secret is stored in State, never in exported configuration, and is never shown again. Current source: %source.', ['%source' => $secret->describe()]),
            '#attributes' => ['autocomplete' => 'new-password'],
            '#maxlength' => 1024,
        ];
        if ($secret->source === ResolvedSecret::SOURCE_SETTINGS) {
            $form['client_secret']['#disabled'] = true;
            $form['client_secret']['#description'] = $this->t("The secret comes from settings.php (\$settings['entra_provisioning']['client_secret']) and cannot be changed here.");
        }
        if ($this->keys->isAvailable()) {
            $form['secret_key_id'] = [
                '#type' => 'key_select',
                '#title' => $this->t('Client secret from the Key module'),
                '#description' => $this->t('Optional. When a key is chosen, its value is used instead of the secret above; only the key id is stored in configuration.'),
                '#empty_option' => $this->t('- None: use the secret entered above -'),
                '#empty_value' => '',
                '#config_target' => self::target('connection.secret_key_id'),
            ];
        }

        $form['primary_domain'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Tenant primary domain'),
            '#description' => $this->t('A domain verified in the tenant, used for new userPrincipalNames, e.g. contoso.onmicrosoft.com.'),
            '#config_target' => self::target('connection.primary_domain'),
            '#required' => true,
            '#maxlength' => 253,
        ];
        $form['test_upn'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Test UPN/ID'),
            '#description' => $this->t('An existing Entra ID user (UPN or object id) read by the connection test.'),
            '#config_target' => self::target('connection.test_upn'),
            '#maxlength' => 256,
        ];
        $form['cloud'] = [
            '#type' => 'select',
            '#title' => $this->t('Cloud'),
            '#options' => [
                'global' => $this->t('Global (login.microsoftonline.com, graph.microsoft.com)'),
                'usgov' => $this->t('US Government L4 (graph.microsoft.us)'),
                'usgov-dod' => $this->t('US Government L5 / DoD (dod-graph.microsoft.us)'),
                'china' => $this->t('China, operated by 21Vianet (microsoftgraph.chinacloudapi.cn)'),
            ],
            '#config_target' => self::target('connection.cloud'),
        ];
        $form['advanced'] = [
            '#type' => 'details',
            '#title' => $this->t('Advanced'),
            '#open' => false,
        ];
        $form['advanced']['login_endpoint'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Login endpoint override'),
            '#description' => $this->t("Empty: the cloud's default. settings.php may override it with \$settings['entra_provisioning']['login_endpoint'] (e.g. the Graph emulator on a demo site)."),
            '#config_target' => self::target('connection.login_endpoint'),
        ];
        $form['advanced']['graph_endpoint'] = [
            '#type' => 'textfield',
            '#title' => $this->t('Graph endpoint override'),
            '#config_target' => self::target('connection.graph_endpoint'),
        ];
        $form['advanced']['timeout_ms'] = [
            '#type' => 'number',
            '#title' => $this->t('Timeout of one Graph request (ms)'),
            '#min' => 100,
            '#max' => 600000,
            '#config_target' => self::target('advanced.timeout_ms'),
        ];
        $form['advanced']['max_retries'] = [
            '#type' => 'number',
            '#title' => $this->t('Retries inside one call (throttling, outages)'),
            '#min' => 0,
            '#max' => 20,
            '#config_target' => self::target('advanced.max_retries'),
        ];
        $form['advanced']['max_concurrency'] = [
            '#type' => 'number',
            '#title' => $this->t('Concurrent Graph requests'),
            '#min' => 1,
            '#max' => 32,
            '#config_target' => self::target('advanced.max_concurrency'),
        ];

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
     * {@inheritdoc}
     *
     * @param array<string, mixed> $form
     */
    public function submitForm(array &$form, FormStateInterface $form_state)
    {
        parent::submitForm($form, $form_state);
        $secret = (string) $form_state->getValue('client_secret');
        // Never keep the typed secret in the form state any longer than needed.
        $form_state->setValue('client_secret', '');
        if ($secret !== '' && !$this->clients->secretFromSettings()) {
            $this->clients->storeSecret($secret);
        }
        $this->clients->reset();
    }

    /**
     * Submit handler: runs the connection test and reports the outcome.
     *
     * @param array<string, mixed> $form
     */
    public function testConnection(array &$form, FormStateInterface $form_state): void
    {
        $record = $this->provisioner->testConnection();
        $url = Url::fromRoute('entra_provisioning.test_result')->toString();
        $missing = is_array($record['missing_permissions'] ?? null) ? $record['missing_permissions'] : [];
        if (!empty($record['ok']) && $missing !== []) {
            $this->messenger()->addWarning($this->t('Connected and read %upn, but the application lacks the Microsoft Graph application permission @missing that the chosen directions (@directions) need. Add it in Entra ID > App registrations > API permissions, grant admin consent, and test again. See the <a href=":url">attributes received</a>.', [
                '%upn' => (string) $record['upn'],
                '@missing' => implode(', ', $missing),
                '@directions' => implode(', ', is_array($record['directions'] ?? null) ? $record['directions'] : []),
                ':url' => $url,
            ]));
        } elseif (!empty($record['ok'])) {
            $this->messenger()->addStatus($this->t('Connection works: read %upn (request-id @request_id). See the <a href=":url">attributes received</a>.', [
                '%upn' => (string) $record['upn'],
                '@request_id' => (string) ($record['request_id'] ?? '-'),
                ':url' => $url,
            ]));
        } else {
            $this->messenger()->addError($this->t('Connection test failed. @summary See the <a href=":url">Test Configuration Result</a>.', [
                '@summary' => $this->formatter->summary(is_array($record['error'] ?? null) ? $record['error'] : []),
                ':url' => $url,
            ]));
        }
    }

    /**
     * Submit handler: continues with step 2.
     *
     * @param array<string, mixed> $form
     */
    public function goNext(array &$form, FormStateInterface $form_state): void
    {
        $form_state->setRedirect('entra_provisioning.direction');
    }
}
